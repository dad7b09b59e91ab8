import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Starts a program: the one `posix_spawn` in sg, for `command:` secret sources and `git config`
/// (Subprocess), ssh-add (SSHAddRunner) and sg-watch's handler (WatchHandler). sg-exec's child is
/// the one process started otherwise (`sg_spawn` in CSGSys, see ChildProcess): it needs a parent-
/// death signal and the core-dump limit restored between fork and exec, which posix_spawn cannot do.
/// Every descriptor sg opens is close-on-exec, so the child gets only its three streams.
///
///     let pid = try ProcessSpawn.start(["ssh-add", "-"], environment: env,
///                                      stdin: .descriptor(socket), stdout: .null)
///     let code = WaitStatus.exitCode(WaitStatus.wait(for: pid))
public enum ProcessSpawn {
    public enum Stream: Sendable {
        /// The caller's own stream.
        case inherit
        /// /dev/null (read for stdin, write for the others).
        case null
        /// This descriptor, duplicated onto the stream.
        case descriptor(Int32)
    }

    /// Starts `argv` (`argv[0]` looked up on PATH unless `executable` names the file) and returns
    /// its pid; the failure of the start itself (no such program, not executable) is the `Errno`.
    /// `ownProcessGroup`: the child leads a new process group, so `kill(-pid, …)` reaches
    /// everything it starts.
    public static func start(_ argv: [String], executable: String? = nil, environment: [String: String],
                             stdin: Stream = .inherit, stdout: Stream = .inherit, stderr: Stream = .inherit,
                             ownProcessGroup: Bool = false) throws(Errno) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, fd)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownProcessGroup {
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = executable.map { posix_spawn(&pid, $0, &actions, &attributes, cArgs, cEnv) }
            ?? posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard rc == 0 else { throw Errno(rawValue: rc) }
        return pid
    }
}
