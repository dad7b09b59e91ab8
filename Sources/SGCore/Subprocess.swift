import CSGSys
#if canImport(Glibc)
import Glibc
#endif

/// Runs small helper commands (`command:` secret sources, `git config`) and captures stdout into
/// wiped memory. stderr passes through to ours so the user sees the command's own complaint.
public enum Subprocess {
    public struct Result {
        public let status: Int32
        public let stdout: SecretBytes
    }

    /// Runs `argv` with `stdin` from /dev/null; waits at most `timeout` seconds.
    public static func capture(_ argv: [String], environment: [String]? = nil, timeout: Double = 30) throws -> Result {
        var pipeFDs: [Int32] = [-1, -1]
        guard sg_pipe_cloexec(&pipeFDs) == 0 else { throw SGError.io("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)

        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let env = environment ?? Environment.current.map { "\($0.key)=\($0.value)" }
        let cEnv = env.map { strdup($0) } + [nil]
        defer { cEnv.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, cEnv)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw SGError.config("cannot run \(argv[0]): \(String(cString: strerror(rc)))")
        }
        let deadline = Clock.now + timeout
        var out: [UInt8] = []
        defer { SecretBytes.wipe(&out) }
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { SecretBytes.wipe(&chunk) }
        var pfd = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
        while true {
            let left = deadline - Clock.now
            if left <= 0 {
                kill(pid, SIGKILL)
                close(pipeFDs[0])
                var st: Int32 = 0
                waitpid(pid, &st, 0)
                throw SGError.timeout("command \(argv[0]) did not finish in \(Int(timeout)) s")
            }
            let pr = poll(&pfd, 1, Int32(min(left, 1) * 1000))
            if pr < 0 && errno == EINTR { continue }
            if pr == 0 { continue }
            let n = read(pipeFDs[0], &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > 1 << 20 {
                kill(pid, SIGKILL)
                break
            }
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: SecretBytes(bytes: out))
    }
}

/// Monotonic seconds.
public enum Clock {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Wall-clock seconds since the epoch.
    public static var wallNow: Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
