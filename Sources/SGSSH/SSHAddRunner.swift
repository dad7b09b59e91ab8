import SGCore
import CSGSys
#if canImport(Glibc)
import Glibc
#endif

/// Adds a key sg cannot decrypt itself (encrypted openssh-key-v1: bcrypt_pbkdf is deliberately
/// not implemented) by running `ssh-add [-t N] [-c] -` with the key text on its stdin; ssh-add
/// asks for the passphrase through `askpass` (sg-askpass), which is told the passphrase secret
/// by `SG_ASKPASS_KEY_SECRET`. The key text goes through a socket, never a file.
///
///     try SSHAddRunner.add(keyText: fetched, passphraseSecret: "deploy-key-pass",
///                          askpass: "/usr/bin/sg-askpass", lifetime: 3600, confirm: false)
public enum SSHAddRunner {
    public static func add(keyText: SecretBytes, passphraseSecret: String?, askpass: String,
                           lifetime: UInt32? = nil, confirm: Bool = false,
                           environment: [String: String] = Environment.current,
                           sshAdd: String = "ssh-add", timeout: Double = 60) throws {
        var argv = [sshAdd]
        if let lifetime { argv += ["-t", String(lifetime)] }
        if confirm { argv.append("-c") }
        argv.append("-")

        var env = environment
        env["SSH_ASKPASS"] = askpass
        env["SSH_ASKPASS_REQUIRE"] = "force"
        env[AskpassPolicy.stdinKeySecretVariable] = passphraseSecret
        if passphraseSecret == nil { env.removeValue(forKey: AskpassPolicy.stdinKeySecretVariable) }

        var sv: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 else {
            throw SGError.io("socketpair: \(String(cString: strerror(errno)))")
        }
        var errPipe: [Int32] = [-1, -1]
        guard sg_pipe_cloexec(&errPipe) == 0 else {
            close(sv[0]); close(sv[1])
            throw SGError.io("pipe: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do {
            // ssh-add holds the decrypted key: it keeps sg's core limit of 0, and it ends with a
            // killed sg-ssh-key (SIGTERM) rather than finish an add its caller gave up on.
            pid = try ProcessSpawn.start(argv, environment: env,
                                         options: .init(stdin: .descriptor(sv[1]), stdout: .null, stderr: .descriptor(errPipe[1]),
                                                        parentDeathSignal: SIGTERM, restoreCoreLimit: false))
        } catch {
            close(sv[0]); close(sv[1]); close(errPipe[0]); close(errPipe[1])
            throw SGError.config("cannot run \(sshAdd): \(error) (is openssh-client installed?)")
        }
        close(sv[1]); close(errPipe[1])

        // The key fits in the socket buffer many times over; a dead ssh-add gives EPIPE, not SIGPIPE.
        keyText.withUnsafeBytes { raw in try? WriteAll.send(raw, to: sv[0]) }
        shutdown(sv[0], Int32(SHUT_WR))

        let deadline = Monotonic.now + timeout
        var stderrText: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        var pfd = pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)
        var timedOut = false
        while true {
            let left = deadline - Monotonic.now
            if left <= 0 { timedOut = true; kill(pid, SIGKILL); break }
            let pr = poll(&pfd, 1, Int32(Swift.min(left, 1) * 1000))
            if pr < 0 && errno == EINTR { continue }
            if pr == 0 { continue }
            let n = read(errPipe[0], &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if stderrText.count < 8192 { stderrText.append(contentsOf: chunk[0..<n]) }
        }
        close(errPipe[0]); close(sv[0])
        let code = WaitStatus.exitCode(WaitStatus.wait(for: pid))
        if timedOut { throw SGError.timeout("ssh-add did not finish in \(Int(timeout)) s") }
        guard code == 0 else {
            let lines = String(decoding: stderrText, as: UTF8.self).split(whereSeparator: \.isNewline)
                .filter { !$0.hasPrefix("Enter passphrase") && !$0.hasPrefix("Bad passphrase") }
            let detail = lines.last.map { String($0) } ?? "exit status \(code)"
            throw SGError.denied("ssh-add could not add the key: \(detail)")
        }
    }
}
