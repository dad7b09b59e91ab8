import CCurlShim
import Dispatch
import XCTest
import SGCore
@testable import SGTransport

/// SGTransport's shared state under several threads at once.
final class TransportLockTests: XCTestCase {
    /// An Identity login reads and writes its jar from the polling thread and the prompt's; the
    /// jar was `@unchecked Sendable` with no lock (concurrent array mutation: a crash).
    func testCookieJarSurvivesManyThreads() {
        let jar = CookieJar()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<3_000 {
                let name = "c\((worker + i) % 5)"
                switch i % 6 {
                case 0: jar.set(name, SecretBytes(string: "v\(i)"))
                case 1: jar.store(setCookie: "\(name)=w\(i); Path=/; Secure")
                case 2: _ = jar.header()
                case 3: _ = jar.value(name)
                case 4: jar.store(setCookie: "\(name)=; Max-Age=0")
                default: jar.load(header: SecretBytes(string: "a=1; \(name)=2"))
                }
            }
        }
        jar.load(header: SecretBytes(string: "a=1; b=2; a=3"))
        XCTAssertEqual(jar.cookies.map(\.name), ["b", "a"])
        XCTAssertEqual(jar.header()?.unsafeString(), "b=2; a=3")
    }

    /// curl_share_cleanup refuses while an easy handle still uses the share; the shim used to free
    /// the share's mutexes anyway, which the handle then locked (use after free).
    func testShareAndItsMutexesOutliveTheHandlesThatUseIt() throws {
        try CurlLibrary.ensureLoaded()
        let share = try XCTUnwrap(sgcurl_share_new())
        let handle = try XCTUnwrap(sgcurl_easy_init())
        XCTAssertEqual(sgcurl_setopt_pointer(handle, CURLOPT_SHARE, share), CURLE_OK)
        XCTAssertEqual(sgcurl_share_free(share), Int32(CURLSHE_IN_USE.rawValue), "refused while in use")
        sgcurl_easy_cleanup(handle)   // locks and unlocks the share's mutexes: they must still be there
        XCTAssertEqual(sgcurl_share_free(share), Int32(CURLSHE_OK.rawValue))
    }

    /// Many threads take handles from one small pool at once: none gets more than the pool holds.
    func testPoolNeverMakesMoreHandlesThanItsSize() throws {
        let pool = try ConnectionPool(size: 3)
        let busy = Counter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<50 {
                try? pool.withHandle { _ in
                    busy.add(1)
                    usleep(100)
                    busy.add(-1)
                }
            }
        }
        XCTAssertLessThanOrEqual(pool.handlesCreated, 3)
        XCTAssertLessThanOrEqual(busy.peak, 3)
        XCTAssertGreaterThanOrEqual(pool.handlesCreated, 1)
    }
}

/// A counter that remembers its highest value.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    private(set) var peak = 0
    func add(_ n: Int) {
        lock.lock()
        value += n
        peak = max(peak, value)
        lock.unlock()
    }
}
