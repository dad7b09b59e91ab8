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
    public static func capture(_ argv: [String], environment: [String: String]? = nil, timeout: Double = 30) throws -> Result {
        var pipeFDs: [Int32] = [-1, -1]
        guard sg_pipe_cloexec(&pipeFDs) == 0 else { throw SGError.io("pipe: \(String(cString: strerror(errno)))") }
        let pid: pid_t
        do {
            // Its output has no reader but us: it ends with us (SIGTERM) if we are killed.
            pid = try ProcessSpawn.start(argv, environment: environment ?? Environment.current,
                                         options: .init(stdin: .null, stdout: .descriptor(pipeFDs[1]),
                                                        ownProcessGroup: true, parentDeathSignal: SIGTERM))
        } catch {
            close(pipeFDs[0]); close(pipeFDs[1])
            throw SGError.config("cannot run \(argv[0]): \(error)")
        }
        close(pipeFDs[1])
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
                if status == nil { WaitStatus.wait(for: pid) }
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
                if status == nil { WaitStatus.wait(for: pid) }
                throw SGError.config("command \(argv[0]) wrote more than 1 MiB; a secret source prints one value")
            }
        }
        return Result(status: WaitStatus.exitCode(status!), stdout: SecretBytes(bytes: out))
    }
}
