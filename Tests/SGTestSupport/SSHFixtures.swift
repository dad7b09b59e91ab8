import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command and collects its output, for tests that drive OpenSSH's own tools.
public enum Command {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `argv` (PATH lookup) with `environment` added to a minimal base environment;
    /// stdin is `input` or /dev/null. Run by ToolRunner: killed and thrown after `timeout` seconds.
    @discardableResult
    public static func run(_ argv: [String], environment: [String: String] = [:], input: Data? = nil,
                           timeout: TimeInterval = 60) throws -> Result {
        let r = try ToolRunner.run(argv[0], Array(argv.dropFirst()), environment: Spawned.base.merging(environment) { $1 },
                                   stdin: input, timeout: timeout)
        return Result(status: r.status, stdout: r.stdoutText, stderr: r.stderrText)
    }
}

/// A child process started with posix_spawn. Foundation's `Process` is not used: daemons such as
/// sshd close every inherited descriptor at start, which Foundation takes for an exit and then
/// blocks its monitor thread in `waitpid`, hanging every later `Process`.
public final class Spawned {
    public let pid: pid_t
    private var exitStatus: Int32?

    /// PATH, HOME and LANG, under what `environment` gives unless `baseEnvironment` is false.
    static var base: [String: String] {
        ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
         "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/root", "LANG": "C"]
    }

    /// `-1` for a standard stream means /dev/null; `cwd` nil keeps ours.
    public init(_ argv: [String], environment: [String: String] = [:], baseEnvironment: Bool = true, cwd: String? = nil,
                stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws {
        let env = baseEnvironment ? Spawned.base.merging(environment) { $1 } : environment
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift: env(1) changes folder.
        let argv = cwd.map { ["/usr/bin/env", "-C", $0] + argv } ?? argv
        for (fd, target, flags) in [(stdin, Int32(0), O_RDONLY), (stdout, 1, O_WRONLY), (stderr, 2, O_WRONLY)] {
            if fd >= 0 { posix_spawn_file_actions_adddup2(&actions, fd, target) }
            else { posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0) }
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard rc == 0 else { throw FixtureError.didNotStart("\(argv[0]): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var st: Int32 = 0
        if waitpid(pid, &st, WNOHANG) == pid { exitStatus = Spawned.decode(st); return false }
        return true
    }

    /// Waits for the exit (killing the child after `timeout`); the exit code, or 128+signal.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() > deadline { kill(pid, SIGKILL); break }
            usleep(5_000)
        }
        if exitStatus == nil {
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            exitStatus = Spawned.decode(st)
        }
        return exitStatus!
    }

    /// SIGTERM, then waits (SIGKILL after 5 s).
    public func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        wait(timeout: 5)
    }

    static func decode(_ st: Int32) -> Int32 { (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f) }
}

/// An unlinked temporary file (closed on deinit): a child's stdin, stdout or stderr.
final class ScratchFile {
    let fd: Int32

    init() throws {
        var template = Array("/tmp/sg-cmd-XXXXXX".utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else { throw FixtureError.didNotStart("mkstemp") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    }

    /// A file holding `data`, positioned at its start.
    convenience init(holding data: Data) throws {
        try self.init()
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + done, data.count - done) }
            guard n > 0 else { throw FixtureError.didNotStart("write: \(String(cString: strerror(errno)))") }
            done += n
        }
        lseek(fd, 0, SEEK_SET)
    }

    /// Everything written to it so far.
    func contents() -> Data {
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = pread(fd, &buf, buf.count, offset)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
            offset += off_t(n)
        }
        return data
    }

    deinit { close(fd) }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
public func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// True when a connection to the Unix socket at `path` is accepted.
public func unixSocketAccepts(_ path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
        }
    }
}

/// A real `ssh-agent -D` on a socket in a temp folder, stopped by `stop()` (or deinit).
///
///     let agent = try SSHAgentFixture(folder: dir)
///     defer { agent.stop() }
///     try Command.run(["ssh-add", "-l"], environment: agent.environment)
public final class SSHAgentFixture {
    public let socketPath: String
    private let process: Spawned

    /// `extraEnvironment` reaches the agent (SSH_ASKPASS for confirm prompts);
    /// `runAsUID` starts it under another uid through setpriv (the folder must allow that uid in).
    public init(folder: URL, extraEnvironment: [String: String] = [:], runAsUID: uid_t? = nil) throws {
        socketPath = folder.appendingPathComponent("agent.sock").path
        var args = ["ssh-agent", "-D", "-a", socketPath]
        if let uid = runAsUID {
            args = ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"] + args
        }
        process = try Spawned(args, environment: extraEnvironment)
        let path = socketPath
        // The socket file appears at bind(); connections are refused until listen(). Ready means
        // a connection is accepted, not that the file is there.
        guard waitUntil(timeout: 10, { unixSocketAccepts(path) }) else {
            stop()
            throw FixtureError.didNotStart("ssh-agent at \(socketPath)")
        }
    }

    public var environment: [String: String] { ["SSH_AUTH_SOCK": socketPath] }
    public var pid: Int32 { process.pid }

    public func stop() { process.stop() }

    deinit { stop() }
}

/// A real OpenSSH server on 127.0.0.1, run as root with its own host key, authorized_keys and
/// config in `folder`; root logs in with the keys in `authorizedKeys`. `extraConfig` lines go
/// first in sshd_config, so they win over the defaults (sshd keeps the first value it reads),
/// e.g. `PasswordAuthentication yes`.
public final class SSHDFixture {
    public let port: Int
    public let folder: URL
    public let authorizedKeys: URL
    private let process: Spawned

    public init(folder: URL, extraConfig: String = "") throws {
        self.folder = folder
        authorizedKeys = folder.appendingPathComponent("authorized_keys")
        _ = FileManager.default.createFile(atPath: authorizedKeys.path, contents: Data())
        // sshd insists on its privilege-separation folder.
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        let hostKey = folder.appendingPathComponent("host_ed25519").path
        let gen = try Command.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey])
        guard gen.status == 0 else { throw FixtureError.didNotStart("ssh-keygen host key: \(gen.stderr)") }

        var lastError = ""
        for _ in 0..<5 {
            let port = try SSHDFixture.freePort()
            let config = folder.appendingPathComponent("sshd_config")
            let text = extraConfig + """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            AuthorizedKeysFile \(authorizedKeys.path)
            PidFile \(folder.appendingPathComponent("sshd.pid").path)
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            LogLevel ERROR

            """
            try text.write(to: config, atomically: true, encoding: .utf8)
            let log = folder.appendingPathComponent("sshd.log").path
            let logFD = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { close(logFD) }
            let p = try Spawned(["/usr/sbin/sshd", "-D", "-e", "-f", config.path], stderr: logFD)
            if waitUntil(timeout: 10, { !p.isRunning || SSHDFixture.accepts(port: port) }), p.isRunning {
                self.port = port
                self.process = p
                return
            }
            p.stop()
            lastError = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        throw FixtureError.didNotStart("sshd: \(lastError)")
    }

    /// Appends a public-key line to authorized_keys.
    public func authorize(_ publicKeyLine: String) throws {
        let h = try FileHandle(forWritingTo: authorizedKeys)
        defer { try? h.close() }
        h.seekToEndOfFile()
        h.write(Data((publicKeyLine + "\n").utf8))
    }

    /// `ssh -o BatchMode=yes -p PORT root@127.0.0.1 COMMAND` using only the agent in `environment`.
    public func ssh(_ command: String = "true", environment: [String: String]) throws -> Command.Result {
        try Command.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                         "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentityFile=/nonexistent",
                         "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                         "-p", String(port), "root@127.0.0.1", command],
                        environment: environment, timeout: 30)
    }

    public func stop() { process.stop() }

    deinit { stop() }

    static func freePort() throws -> Int { LoopbackPort.unused() }

    static func accepts(port: Int) -> Bool {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public enum FixtureError: Error, CustomStringConvertible {
    case didNotStart(String)
    public var description: String {
        switch self { case .didNotStart(let what): return "fixture did not start: \(what)" }
    }
}
