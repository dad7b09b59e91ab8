import Foundation
import SGCore
import SGTestSupport
import XCTest

/// `command:` secret sources run through Subprocess.capture: its timeout covers the whole run.
final class SubprocessTests: XCTestCase {
    func testTimeoutCoversTheWaitAfterStdoutCloses() throws {
        let began = Date()
        XCTAssertThrowsError(try Subprocess.capture(["/bin/sh", "-c", "echo KEY; exec >&-; sleep 45"], timeout: 1)) { error in
            XCTAssertEqual((error as? SGError)?.exitCode, .tempFailure, "\(error)")
        }
        // Hang guard, not a timing assertion: before the fix this took the full 45 s.
        XCTAssertLessThan(Date().timeIntervalSince(began), 20)
    }

    func testTimeoutKillsEverythingTheCommandStarted() throws {
        let dir = try TestPaths.makeTempDir("subprocess")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pidFile = dir.path + "/bg.pid"
        // The background sleep holds stdout open; the shell waits for it.
        XCTAssertThrowsError(try Subprocess.capture(["/bin/sh", "-c", "sleep 45 & echo $! > '\(pidFile)'; wait"], timeout: 1))
        let pid = try XCTUnwrap(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<200 where !gone {
            // Gone, or a zombie waiting for init to reap it.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            gone = stat.isEmpty || stat.split(separator: ")").last?.split(separator: " ").first == "Z"
            if !gone { usleep(50_000) }
        }
        if !gone { kill(pid, SIGKILL) }
        XCTAssertTrue(gone, "the command's background child outlived the timeout")
    }

    func testOutputAndStatusOfAQuickCommand() throws {
        let r = try Subprocess.capture(["/bin/sh", "-c", "printf 'a\\nb'; exit 3"], timeout: 10)
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stdout.withUnsafeBytes { Array($0) }, Array("a\nb".utf8))
        let ok = try Subprocess.capture(["/bin/sh", "-c", "exec >&-; exit 0"], timeout: 10)
        XCTAssertEqual(ok.status, 0, "a command that closes stdout early and exits is not a timeout")
    }
}
