import XCTest
import SGTestSupport

/// Every tool hardens its process first (SGCore `Tool.harden`): no core dumps, not dumpable, no
/// TLS key log; and sg-exec gives its child the core limit the user had.
final class HardeningTests: XCTestCase {
    func testToolsRunWithoutCoreDumpsAndChildrenGetTheUsersLimitBack() throws {
        let home = try TestPaths.makeTempDir("harden")
        defer { try? FileManager.default.removeItem(at: home) }
        // Give the tool a non-zero soft core limit to take away (children inherit ours).
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_CORE.rawValue), &saved)
        var raised = saved
        raised.rlim_cur = min(saved.rlim_max, 1 << 20)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &raised)
        defer { setrlimit(Int32(RLIMIT_CORE.rawValue), &saved) }
        XCTAssertGreaterThan(raised.rlim_cur, 0)

        // --mask keeps sg-exec as the parent, so the child can read both processes' limits.
        let script = "grep 'core file' /proc/$PPID/limits; grep 'core file' /proc/$$/limits; echo \"keylog=${SSLKEYLOGFILE:-unset}\""
        let run = try ToolRunner.run(TestPaths.binary("sg-exec"), ["--mask", "--", "/bin/sh", "-c", script],
                                     environment: ToolRunner.environment(home: home, ["SSLKEYLOGFILE": home.path + "/keys.log"]))
        XCTAssertEqual(run.status, 0, run.stderrText)
        let lines = run.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        XCTAssertEqual(lines.count, 3, run.stdoutText)
        XCTAssertEqual(lines[0].dropFirst(4).first, "0", "sg-exec itself dumps no core: \(run.stdoutText)")
        XCTAssertEqual(lines[1].dropFirst(4).first.map(String.init), String(raised.rlim_cur), "the child gets the user's limit back")
        XCTAssertEqual(run.stdoutText.split(separator: "\n").last, "keylog=unset", "SSLKEYLOGFILE never reaches the child")
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.path + "/keys.log"))
    }
}
