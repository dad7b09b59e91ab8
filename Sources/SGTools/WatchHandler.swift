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
        var env = Environment.current
        for name in hidden { env[name] = nil }
        env["SG_WATCH_REF"] = reference
        let pid: pid_t
        do {
            // No parent-death signal: a handler reloading a service is left to finish if sg-watch dies.
            pid = try ProcessSpawn.start(command, executable: path, environment: env, options: .init(stdin: .descriptor(fds[0])))
        } catch {
            close(fds[0]); close(fds[1])
            throw SGError.usage("cannot run \(command[0]): \(error)")
        }
        close(fds[0])
        // A handler that exits without reading must not kill sg-watch with SIGPIPE.
        let previous = signal(SIGPIPE, SIG_IGN)
        value.withUnsafeBytes { raw in try? WriteAll.write(raw, to: fds[1]) }
        close(fds[1])
        signal(SIGPIPE, previous)
        return WaitStatus.exitCode(WaitStatus.wait(for: pid))
    }
}
