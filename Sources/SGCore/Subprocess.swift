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

    /// Runs `argv` with `stdin` from /dev/null; the whole run, until the command has exited,
    /// takes at most `timeout` seconds.
    ///
    /// The command runs in a process group of its own, so that on timeout everything it started
    /// is killed with it: a shell that closed stdout and kept running (`exec >&-; sleep 45`), or a
    /// background child that still holds the pipe, must not outlive the deadline.
    public static func capture(_ argv: [String], environment: [String]? = nil, timeout: Double = 30) throws -> Result {
        var pipeFDs: [Int32] = [-1, -1]
        guard sg_pipe_cloexec(&pipeFDs) == 0 else { throw SGError.io("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let env = environment ?? Environment.current.map { "\($0.key)=\($0.value)" }
        let cEnv = env.map { strdup($0) } + [nil]
        defer { cEnv.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw SGError.config("cannot run \(argv[0]): \(String(cString: strerror(rc)))")
        }
        let deadline = Monotonic.now + timeout
        var out: [UInt8] = []
        defer { SecretBytes.wipe(&out) }
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { SecretBytes.wipe(&chunk) }
        var status: Int32?
        var nap = 0.00025
        var pfd = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
        defer { if pfd.fd >= 0 { close(pfd.fd) } }
        // Until stdout is closed and the command has exited: a closed stdout alone is not the end.
        while pfd.fd >= 0 || status == nil {
            if status == nil {
                var st: Int32 = 0
                if waitpid(pid, &st, WNOHANG) == pid { status = st }
            }
            let left = deadline - Monotonic.now
            if left <= 0 {
                kill(-pid, SIGKILL)
                if status == nil { while waitpid(pid, nil, 0) < 0 && errno == EINTR {} }
                throw SGError.timeout("command \(argv[0]) did not finish in \(Int(timeout)) s")
            }
            // With stdout closed, poll nothing: sleep between checks of the exit, briefly at
            // first (most commands exit right after closing stdout), longer as it drags on.
            let open = pfd.fd >= 0
            if !open { nap = min(nap * 2, 0.05) }
            let slice = open ? min(left, 1) : min(left, nap)
            let pr = poll(&pfd, open ? 1 : 0, Int32((slice * 1000).rounded(.up)))
            if pr < 0 && errno == EINTR { continue }
            if pr <= 0 || !open { continue }
            let n = read(pfd.fd, &chunk, chunk.count)
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 {
                close(pfd.fd)
                pfd.fd = -1
                continue
            }
            out.append(contentsOf: chunk[0..<n])
            if out.count > 1 << 20 {
                kill(-pid, SIGKILL)
                if status == nil { while waitpid(pid, nil, 0) < 0 && errno == EINTR {} }
                throw SGError.config("command \(argv[0]) wrote more than 1 MiB; a secret source prints one value")
            }
        }
        let st = status!
        let code: Int32 = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f)
        return Result(status: code, stdout: SecretBytes(bytes: out))
    }
}
