import XCTest
import Glibc
import CSGSys
import SystemPackage
@testable import SGCore

/// The one spawner (ProcessSpawn over sg_spawn), with real shells: each option as the child sees it.
final class ProcessSpawnTests: XCTestCase {
    /// Runs `script` with stdout into a pipe and returns what it printed, its exit code and its pid.
    func run(_ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"],
             options: ProcessSpawn.Options = .init(stdin: .null)) throws -> (String, Int32, pid_t) {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(sg_pipe_cloexec(&fds), 0)
        var options = options
        options.stdout = .descriptor(fds[1])
        let pid = try ProcessSpawn.start(["sh", "-c", script], environment: environment, options: options)
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        close(fds[0])
        let text = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (text, WaitStatus.exitCode(WaitStatus.wait(for: pid)), pid)
    }

    /// One line of the child's /proc status (`SigBlk`, `SigCgt`, `SigIgn`) as a bit mask.
    func statusMask(_ field: String, options: ProcessSpawn.Options = .init(stdin: .null)) throws -> UInt64 {
        // `exec` so the line is the spawned process's own, not a shell's that forked it.
        let (out, code, _) = try run("exec grep '^\(field):' /proc/self/status", options: options)
        XCTAssertEqual(code, 0)
        return try XCTUnwrap(UInt64(out.split(separator: "\t").last.map(String.init) ?? "", radix: 16), out)
    }

    func bit(_ signal: Int32) -> UInt64 { 1 << UInt64(signal - 1) }

    func testTheChildGetsExactlyTheEnvironmentAndStreamsGiven() throws {
        let (out, code, _) = try run("echo \"[$FOO][${HOME-unset}]\"; cat; exit 4", environment: ["PATH": "/usr/bin:/bin", "FOO": "bar"])
        XCTAssertEqual(out, "[bar][unset]", "stdin is /dev/null: cat prints nothing")
        XCTAssertEqual(code, 4)
    }

    func testNullStreamsAreDevNull() throws {
        let (out, _, _) = try run("readlink /proc/$$/fd/0 /proc/$$/fd/2", options: .init(stdin: .null, stderr: .null))
        XCTAssertEqual(out, "/dev/null\n/dev/null")
    }

    func testAStreamMayBeAStandardStreamAnEarlierOneReplaced() throws {
        // stderr onto our stdout while stdout goes to the pipe: the child's stderr must be what our
        // fd 1 is, not the pipe that the dup2 onto its fd 1 put there first.
        var ours = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/1", &ours, ours.count - 1)
        XCTAssertGreaterThan(n, 0)
        let (out, _, _) = try run("readlink /proc/$$/fd/2", options: .init(stdin: .null, stderr: .descriptor(1)))
        XCTAssertEqual(out, String(cString: ours))
    }

    func testOwnProcessGroupMakesTheChildItsLeader() throws {
        let (own, _, pid) = try run("cut -d' ' -f5 /proc/$$/stat", options: .init(ownProcessGroup: true))
        XCTAssertEqual(own, String(pid))
        let (shared, _, _) = try run("cut -d' ' -f5 /proc/$$/stat")
        XCTAssertEqual(shared, String(getpgrp()))
    }

    func testSignalMaskIsTheOneGivenElseTheCallers() throws {
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGUSR1)
        XCTAssertEqual(try statusMask("SigBlk", options: .init(signalMask: mask)), bit(SIGUSR1))

        // nil: the calling thread's mask, whatever sg_spawn blocked around the fork.
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        XCTAssertEqual(try statusMask("SigBlk") & (bit(SIGUSR2) | bit(SIGTERM)), bit(SIGUSR2))
    }

    func testIgnoredSignalsStayIgnored() throws {
        // As exec keeps them (`nohup sg-exec …`); only sg's own handlers are reset in the child.
        let old = signal(SIGHUP, SIG_IGN)
        defer { signal(SIGHUP, old) }
        XCTAssertEqual(try statusMask("SigIgn") & bit(SIGHUP), bit(SIGHUP))
    }

    /// The child's PR_GET_PDEATHSIG, read by the program itself (it is not in /proc).
    func parentDeathSignal(_ options: ProcessSpawn.Options) throws -> String {
        let probe = "import ctypes; v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); print(v.value)"
        return try run("exec /usr/bin/python3 -c '\(probe)'", options: options).0
    }

    func testParentDeathSignalOnlyWhenAsked() throws {
        XCTAssertEqual(try parentDeathSignal(.init(stdin: .null)), "0")
        XCTAssertEqual(try parentDeathSignal(.init(stdin: .null, parentDeathSignal: SIGTERM)), String(SIGTERM))
    }

    func testCoreLimitIsTheOneBeforeHardeningUnlessKeptAtZero() throws {
        // This test process plays sg: a soft limit of 8 KiB, then hardening drops it to 0. (It
        // also leaves this process non-dumpable, which no other test depends on.)
        let core = __rlimit_resource_t(RLIMIT_CORE.rawValue)
        var before = rlimit()
        getrlimit(core, &before)
        defer { setrlimit(core, &before) }
        guard before.rlim_max >= 8192 else {
            throw XCTSkip("the hard core limit is below 8 KiB here")
        }
        var soft = rlimit(rlim_cur: 8192, rlim_max: before.rlim_max)
        XCTAssertEqual(setrlimit(core, &soft), 0)
        XCTAssertEqual(sg_harden_process(), 0)
        let softLimit = "exec awk '/^Max core file size/ { print $5 }' /proc/self/limits"
        XCTAssertEqual(try run(softLimit).0, "8192")
        XCTAssertEqual(try run(softLimit, options: .init(stdin: .null, restoreCoreLimit: false)).0, "0")
    }

    func testAProgramThatIsNotThereIsTheErrnoOfTheStart() {
        XCTAssertThrowsError(try ProcessSpawn.start(["sg-no-such-program-\(getpid())"], environment: ["PATH": "/usr/bin:/bin"])) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, ENOENT, "\(error)")
        }
        XCTAssertThrowsError(try ProcessSpawn.start(["x"], executable: "/etc/passwd", environment: [:])) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, EACCES, "\(error)")
        }
        XCTAssertThrowsError(try ProcessSpawn.start(["x"], executable: "/etc", environment: [:])) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, EACCES, "a directory: execve's own errno, from the child")
        }
    }
}
