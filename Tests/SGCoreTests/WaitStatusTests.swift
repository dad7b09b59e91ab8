import XCTest
import Glibc
@testable import SGCore

/// The one wait-status decoder, on statuses of real processes.
final class WaitStatusTests: XCTestCase {
    func testExitStatusAndSignalAsAShellReportsThem() throws {
        XCTAssertEqual(try Subprocess.capture(["/bin/sh", "-c", "exit 0"]).status, 0)
        XCTAssertEqual(try Subprocess.capture(["/bin/sh", "-c", "exit 3"]).status, 3)
        XCTAssertEqual(try Subprocess.capture(["/bin/sh", "-c", "exit 255"]).status, 255)
        XCTAssertEqual(try Subprocess.capture(["/bin/sh", "-c", "kill -TERM $$"]).status, 128 + SIGTERM)
        XCTAssertEqual(try Subprocess.capture(["/bin/sh", "-c", "kill -KILL $$"]).status, 128 + SIGKILL)
    }

    func testWaitReturnsTheRawStatusOfOurChild() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup("exit 7"), nil]
        defer { argv.forEach { free($0) } }
        XCTAssertEqual(posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ), 0)
        let status = WaitStatus.wait(for: pid)
        XCTAssertEqual(status, 7 << 8)
        XCTAssertEqual(WaitStatus.exitCode(status), 7)
        XCTAssertEqual(WaitStatus.wait(for: pid), -1, "a child already reaped is not ours any more")
    }
}
