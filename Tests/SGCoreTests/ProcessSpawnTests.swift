import XCTest
import Glibc
import SystemPackage
@testable import SGCore

/// The one posix_spawn (ProcessSpawn), with real shells.
final class ProcessSpawnTests: XCTestCase {
    /// Runs `script` with stdout into a pipe and returns what it printed and its exit code.
    func run(_ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"],
             stdin: ProcessSpawn.Stream = .null, ownProcessGroup: Bool = false) throws -> (String, Int32, pid_t) {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid = try ProcessSpawn.start(["sh", "-c", script], environment: environment, stdin: stdin,
                                         stdout: .descriptor(fds[1]), ownProcessGroup: ownProcessGroup)
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        close(fds[0])
        return (String(decoding: out, as: UTF8.self), WaitStatus.exitCode(WaitStatus.wait(for: pid)), pid)
    }

    func testTheChildGetsExactlyTheEnvironmentAndStreamsGiven() throws {
        let (out, code, _) = try run("echo \"[$FOO][${HOME-unset}]\"; cat; exit 4", environment: ["PATH": "/usr/bin:/bin", "FOO": "bar"])
        XCTAssertEqual(out, "[bar][unset]\n", "stdin is /dev/null: cat prints nothing")
        XCTAssertEqual(code, 4)
    }

    func testOwnProcessGroupMakesTheChildItsLeader() throws {
        let (own, _, pid) = try run("cut -d' ' -f5 /proc/$$/stat", ownProcessGroup: true)
        XCTAssertEqual(own.trimmingCharacters(in: .whitespacesAndNewlines), String(pid))
        let (shared, _, _) = try run("cut -d' ' -f5 /proc/$$/stat")
        XCTAssertEqual(shared.trimmingCharacters(in: .whitespacesAndNewlines), String(getpgrp()))
    }

    func testAProgramThatIsNotThereIsTheErrnoOfTheStart() {
        XCTAssertThrowsError(try ProcessSpawn.start(["sg-no-such-program-\(getpid())"], environment: ["PATH": "/usr/bin:/bin"])) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, ENOENT, "\(error)")
        }
        XCTAssertThrowsError(try ProcessSpawn.start(["x"], executable: "/etc/passwd", environment: [:])) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, EACCES, "\(error)")
        }
    }
}
