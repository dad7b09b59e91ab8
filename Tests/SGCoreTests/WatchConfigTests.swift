@testable import SGCore
import XCTest

/// The `watch:` section (docs/config.md): how sg follows rotation.
final class WatchConfigTests: XCTestCase {
    func parse(_ body: String) throws -> Config {
        try ConfigLoader.parse("version: 1\n" + body, file: "/etc/sg/test.yaml", home: "/home/u")
    }

    func testDefaultsAreFiveMinutePollingAndFifteenSecondPings() throws {
        let w = try parse("").watch
        XCTAssertEqual(w.poll, 300)
        XCTAssertEqual(w.pingInterval, 15)
        XCTAssertEqual(w.stallAfter, 30, "a stall is two ping intervals without a byte")
        XCTAssertEqual(w.reconnectMin, 1)
        XCTAssertEqual(w.reconnectMax, 60)
    }

    func testEveryKeyIsReadInSeconds() throws {
        let w = try parse("watch:\n  poll: 2.5\n  ping-interval: 1\n  reconnect-min: 0.2\n  reconnect-max: 3\n").watch
        XCTAssertEqual(w.poll, 2.5)
        XCTAssertEqual(w.pingInterval, 1)
        XCTAssertEqual(w.reconnectMin, 0.2)
        XCTAssertEqual(w.reconnectMax, 3)
    }

    func testBadValuesAreConfigurationErrorsNamingTheKey() {
        for body in ["watch:\n  poll: 0\n", "watch:\n  poll: -1\n", "watch:\n  ping-interval: soon\n",
                     "watch:\n  reconnect-min: 10\n  reconnect-max: 2\n", "watch:\n  pol: 3\n", "watch:\n  poll: 1e400\n"] {
            XCTAssertThrowsError(try parse(body), body) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .config, "\(body): \(error)")
            }
        }
    }

    func testBackoffDoublesUpToTheMaximumWithJitter() {
        var w = WatchSettings()
        w.reconnectMin = 1
        w.reconnectMax = 8
        for (attempt, base) in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0), (100, 8.0)] {
            for _ in 0..<20 {
                let b = w.backoff(attempt: attempt)
                XCTAssertGreaterThanOrEqual(b, base * 0.75, "attempt \(attempt)")
                XCTAssertLessThanOrEqual(b, base * 1.25, "attempt \(attempt)")
            }
        }
    }
}
