import CSGSys
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs sg-watch's HANDLER once with one value on stdin (safeguard-bash's handle-*-event
/// semantics): the value goes through a pipe, never argv or the environment; `SG_WATCH_REF` names
/// the reference; the variables config reads secrets from (API keys) are not passed on.
///
///     let status = try WatchHandler(command: ["./reload.sh"], hidden: config.secretEnvironmentVariables)
///         .run(value: secret.value, reference: "sg:demo-db")
public struct WatchHandler: Sendable {
    public let command: [String]
    public let hidden: Set<String>

    public init(command: [String], hidden: Set<String>) {
        self.command = command
        self.hidden = hidden
    }

    /// Finds the command on PATH now, so a typo is a usage error at start, not a failure per event.
    public func resolvedPath() throws -> String {
        switch CommandLookup.find(command[0], path: Environment.get("PATH")) {
        case .success(let path): return path
        case .failure(let e): throw SGError.usage(e.message)
        }
    }

    /// Runs the handler to its end and returns its status as a shell reports it (128+N: signal N).
    public func run(value: SecretBytes, reference: String) throws -> Int32 {
        let path = try resolvedPath()
        var fds: [Int32] = [-1, -1]
        guard sg_pipe_cloexec(&fds) == 0 else { throw SGError.io("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        var env = Environment.current
        for name in hidden { env[name] = nil }
        env["SG_WATCH_REF"] = reference
        let cArgs = command.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, cArgs, cEnv)
        close(fds[0])
        guard rc == 0 else {
            close(fds[1])
            throw SGError.usage("cannot run \(command[0]): \(String(cString: strerror(rc)))")
        }
        // A handler that exits without reading must not kill sg-watch with SIGPIPE.
        let previous = signal(SIGPIPE, SIG_IGN)
        value.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fds[1], raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; break }
                offset += n
            }
        }
        close(fds[1])
        signal(SIGPIPE, previous)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
