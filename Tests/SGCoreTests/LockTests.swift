import XCTest
@testable import SGCore

/// SGCore's locks under several threads at once (Synchronization.Mutex; no pthread_mutex_t kept
/// in a class and passed as `&property`, which Swift gives no stable address).
final class LockTests: XCTestCase {
    func testOnceFlagIsSetByExactlyOneOfManyThreads() {
        for _ in 0..<50 {
            let flag = OnceFlag()
            let firsts = parallelMap(count: 64, width: 16) { _ in flag.exchange() ? 0 : 1 }
            XCTAssertEqual(firsts.reduce(0, +), 1)
        }
    }

    func testParallelMapGivesEveryResultInOrderFromManyThreads() {
        for width in [2, 8, 32] {
            let results = parallelMap(count: 20_000, width: width) { "item-\($0)" }
            XCTAssertEqual(results.count, 20_000)
            XCTAssertEqual(results, (0..<20_000).map { "item-\($0)" })
        }
    }
}
