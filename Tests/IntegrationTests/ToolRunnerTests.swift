import Foundation
import SGTestSupport
import XCTest

/// SGTestSupport's ToolRunner, the one runner the integration tests use: a run never outlives
/// its time limit, whatever the child does.
final class ToolRunnerTests: XCTestCase {
    let env = ["PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no"]

    /// The integration tests' own runner sent SIGTERM at the limit and then waited for the child
    /// to exit: a child that ignores SIGTERM hung the test run. SIGKILL cannot be ignored.
    func testAChildIgnoringSIGTERMIsStoppedAtTheLimit() throws {
        let started = Date()
        XCTAssertThrowsError(try ToolRunner.run("/bin/sh", ["-c", "trap '' TERM; while :; do sleep 0.2; done"], environment: env, timeout: 1)) { e in
            XCTAssertTrue("\(e)".contains("hung for 1 s"), "\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "hang guard")
    }

    /// A process the child left behind with its stdout open does not hold up the run.
    func testALeftoverProcessHoldingTheOutputDoesNotHoldUpTheRun() throws {
        let started = Date()
        let r = try ToolRunner.run("/bin/sh", ["-c", "sleep 20 & echo started"], environment: env, timeout: 10)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdoutText, "started\n")
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "hang guard")
    }

    /// A child that echoes a large input cannot deadlock the run on full pipes.
    func testLargeInputAndOutputDoNotDeadlock() throws {
        let input = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) })
        let r = try ToolRunner.run("/bin/cat", [], environment: env, stdin: input, timeout: 60)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, input)
    }
}
