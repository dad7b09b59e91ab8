import CSGSys
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Starts a program: the one spawner in sg, for `command:` secret sources and `git config`
/// (Subprocess), ssh-add (SSHAddRunner), sg-watch's handler (WatchHandler) and sg-exec's child
/// (ChildProcess). It is the Swift face of `sg_spawn` in CSGSys: fork, then only async-signal-safe
/// calls in the child, then execve (docs/platform.md "One spawner"). Every descriptor sg opens is
/// close-on-exec, so the child gets only its three streams and what the caller cleared on purpose.
///
///     let pid = try ProcessSpawn.start(["ssh-add", "-"], environment: env,
///                                      options: .init(stdin: .descriptor(socket), stdout: .null))
///     let code = WaitStatus.exitCode(WaitStatus.wait(for: pid))
public enum ProcessSpawn {
    public enum Stream: Sendable {
        /// The caller's own stream.
        case inherit
        /// /dev/null (read for stdin, write for the others).
        case null
        /// This descriptor, duplicated onto the stream.
        case descriptor(Int32)

        var raw: Int32 {
            switch self {
            case .inherit: return Int32(SG_STREAM_INHERIT)
            case .null: return Int32(SG_STREAM_NULL)
            case .descriptor(let fd): return fd
            }
        }
    }

    /// How the child starts, beyond its program, arguments and environment.
    public struct Options {
        public var stdin: Stream
        public var stdout: Stream
        public var stderr: Stream
        /// The child leads a new process group, so `kill(-pid, …)` reaches everything it starts.
        public var ownProcessGroup: Bool
        /// The child's signal mask; nil: the calling thread's.
        public var signalMask: sigset_t?
        /// Sent to the child when the thread that started it ends (PR_SET_PDEATHSIG), so a helper
        /// whose only reader is sg does not outlive a killed sg; nil: none.
        public var parentDeathSignal: Int32?
        /// The child gets the soft core-dump limit sg started with, not the 0 that hardening set;
        /// false keeps it at 0 (a helper of sg's that holds a secret it did not choose to hold).
        public var restoreCoreLimit: Bool

        public init(stdin: Stream = .inherit, stdout: Stream = .inherit, stderr: Stream = .inherit,
                    ownProcessGroup: Bool = false, signalMask: sigset_t? = nil,
                    parentDeathSignal: Int32? = nil, restoreCoreLimit: Bool = true) {
            self.stdin = stdin
            self.stdout = stdout
            self.stderr = stderr
            self.ownProcessGroup = ownProcessGroup
            self.signalMask = signalMask
            self.parentDeathSignal = parentDeathSignal
            self.restoreCoreLimit = restoreCoreLimit
        }
    }

    /// Starts `argv` (`argv[0]` looked up on sg's own PATH, here in the parent, unless `executable`
    /// names the file) and returns its pid once it runs the program; the failure of the start
    /// itself (no such program, not executable) is the `Errno`.
    public static func start(_ argv: [String], executable: String? = nil, environment: [String: String],
                             options: Options = .init()) throws(Errno) -> pid_t {
        let path: String
        if let executable {
            path = executable
        } else {
            switch CommandLookup.find(argv[0], path: Environment.get("PATH")) {
            case .success(let found): path = found
            case .failure(let e): throw Errno(rawValue: e.code == 127 ? ENOENT : EACCES)
            }
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        return try start(path: path, argv: cArgs, envp: cEnv, options: options)
    }

    /// Starts the program at `path` with a prepared `argv` and `envp` (sg-exec builds its child's
    /// environment in memory it wipes); no PATH lookup.
    public static func start(path: String, argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
                             envp: UnsafePointer<UnsafeMutablePointer<CChar>?>,
                             options: Options) throws(Errno) -> pid_t {
        var c = sg_spawn_options()
        c.streams = (options.stdin.raw, options.stdout.raw, options.stderr.raw)
        c.new_process_group = options.ownProcessGroup ? 1 : 0
        c.parent_death_signal = options.parentDeathSignal ?? 0
        c.restore_core_limit = options.restoreCoreLimit ? 1 : 0
        var mask = options.signalMask ?? sigset_t()
        let pid: pid_t = withUnsafePointer(to: &mask) { maskPointer in
            c.signal_mask = options.signalMask == nil ? nil : maskPointer
            return sg_spawn(path, argv, envp, &c)
        }
        guard pid > 0 else { throw Errno(rawValue: errno) }
        return pid
    }
}
