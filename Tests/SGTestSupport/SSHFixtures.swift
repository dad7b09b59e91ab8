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

    /// Runs `argv` (PATH lookup via /usr/bin/env) with `environment` added to a minimal base
    /// environment; stdin is `input` or /dev/null.
    @discardableResult
    public static func run(_ argv: [String], environment: [String: String] = [:], input: Data? = nil,
                           timeout: TimeInterval = 60) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        var env = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/root",
                   "LANG": "C"]
        for (k, v) in environment { env[k] = v }
        p.environment = env
        // Output goes to unlinked temp files: no pipe to drain concurrently, no deadlock.
        let out = try scratchFile(), err = try scratchFile()
        defer { try? out.close(); try? err.close() }
        p.standardOutput = out
        p.standardError = err
        let inPipe = Pipe()
        if input != nil { p.standardInput = inPipe } else { p.standardInput = FileHandle(forReadingAtPath: "/dev/null") }
        try p.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try? inPipe.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        try out.seek(toOffset: 0)
        try err.seek(toOffset: 0)
        let outData = out.readDataToEndOfFile(), errData = err.readDataToEndOfFile()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

private func scratchFile() throws -> FileHandle {
    var template = Array("/tmp/sg-cmd-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    guard fd >= 0 else { throw FixtureError.didNotStart("mkstemp") }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
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

/// A real `ssh-agent -D` on a socket in a temp folder, stopped by `stop()` (or deinit).
///
///     let agent = try SSHAgentFixture(folder: dir)
///     defer { agent.stop() }
///     try Command.run(["ssh-add", "-l"], environment: agent.environment)
public final class SSHAgentFixture {
    public let socketPath: String
    private let process: Process

    /// `extraEnvironment` reaches the agent (SSH_ASKPASS for confirm prompts);
    /// `runAsUID` starts it under another uid through setpriv (the folder must allow that uid in).
    public init(folder: URL, extraEnvironment: [String: String] = [:], runAsUID: uid_t? = nil) throws {
        socketPath = folder.appendingPathComponent("agent.sock").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["ssh-agent", "-D", "-a", socketPath]
        if let uid = runAsUID {
            args = ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"] + args
        }
        p.arguments = args
        var env = ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"]
        for (k, v) in extraEnvironment { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        process = p
        let path = socketPath
        guard waitUntil(timeout: 10, { FileManager.default.fileExists(atPath: path) }) else {
            stop()
            throw FixtureError.didNotStart("ssh-agent at \(socketPath)")
        }
    }

    public var environment: [String: String] { ["SSH_AUTH_SOCK": socketPath] }
    public var pid: Int32 { process.processIdentifier }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A real OpenSSH server on 127.0.0.1, run as root with its own host key, authorized_keys and
/// config in `folder`; root logs in with the keys in `authorizedKeys`.
public final class SSHDFixture {
    public let port: Int
    public let folder: URL
    public let authorizedKeys: URL
    private let process: Process

    public init(folder: URL) throws {
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
            let text = """
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
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/sshd")
            p.arguments = ["-D", "-e", "-f", config.path]
            p.environment = ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            try p.run()
            if waitUntil(timeout: 10, { !p.isRunning || SSHDFixture.accepts(port: port) }), p.isRunning {
                self.port = port
                self.process = p
                return
            }
            if p.isRunning { kill(p.processIdentifier, SIGTERM) }
            p.waitUntilExit()
            lastError = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
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

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    static func freePort() throws -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0 }
        }
        guard ok else { throw FixtureError.didNotStart("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

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
