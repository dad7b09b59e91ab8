import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private D-Bus session bus, optionally with gnome-keyring's Secret Service, for tests.
///
/// Each session lives in its own temporary folder with its own HOME, XDG folders and bus
/// socket, so nothing touches the real user's keyring. `environment` is what a child process
/// needs to use it. Three shapes:
/// - `.unlocked`: gnome-keyring-daemon started with `--unlock` (password on stdin), so the login
///   collection exists and is unlocked;
/// - `.locked`: the same, one item stored, then the login collection locked over D-Bus
///   (`org.freedesktop.Secret.Service.Lock`), as on a desktop whose keyring was never unlocked;
/// - `.noSecretService`: a bus whose configuration has no service folders, so nothing owns or
///   can activate `org.freedesktop.secrets`.
///
/// libsecret keeps one bus connection per process, so a process can use only one session:
/// tests use `SecretServiceSession.shared` in-process (it sets DBUS_SESSION_BUS_ADDRESS before
/// the first keyring call) and run other shapes through child processes with `environment`.
///
///     let session = try SecretServiceSession.start(.locked)
///     defer { session.stop() }
///     let result = try session.run(["sg-token", "status"])
public final class SecretServiceSession: @unchecked Sendable {
    public enum Shape: String, Sendable { case unlocked, locked, noSecretService }

    public let shape: Shape
    public let root: URL
    public let home: String
    public let runtimeDir: String
    public let address: String
    public let password = "sg-test-password"
    private var busProcess: Process?
    private var keyringProcess: Process?

    /// HOME, XDG folders and DBUS_SESSION_BUS_ADDRESS for a child process in this session.
    public var environment: [String: String] {
        [
            "HOME": home,
            "XDG_RUNTIME_DIR": runtimeDir,
            "XDG_DATA_HOME": home + "/.local/share",
            "XDG_CONFIG_HOME": home + "/.config",
            "XDG_STATE_HOME": home + "/.local/state",
            "XDG_CACHE_HOME": home + "/.cache",
            "DBUS_SESSION_BUS_ADDRESS": address,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "SWIFT_BACKTRACE": "enable=no",
        ]
    }

    private init(shape: Shape, root: URL) {
        self.shape = shape
        self.root = root
        home = root.appendingPathComponent("home").path
        runtimeDir = root.appendingPathComponent("run").path
        address = "unix:path=" + root.appendingPathComponent("run/bus").path
    }

    /// The session the test process itself uses (started once; its bus address is exported
    /// into this process's environment).
    public static let shared: SecretServiceSession = {
        do {
            let s = try start(.unlocked)
            setenv("DBUS_SESSION_BUS_ADDRESS", s.address, 1)
            atexit { SecretServiceSession.sharedForExit?.stop() }
            sharedForExit = s
            return s
        } catch {
            fatalError("cannot start the test Secret Service session: \(error)")
        }
    }()
    nonisolated(unsafe) private static var sharedForExit: SecretServiceSession?

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func start(_ shape: Shape) throws -> SecretServiceSession {
        let root = try TestPaths.makeTempDir("ss-\(shape.rawValue)")
        let s = SecretServiceSession(shape: shape, root: root)
        for dir in [s.home, s.runtimeDir, s.home + "/.local/share", s.home + "/.config"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        do {
            try s.startBus()
            if shape != .noSecretService {
                try s.startKeyring()
            }
            if shape == .locked {
                let store = try s.run(["secret-tool", "store", "--label=seed", "service", "sg-seed", "username", "seed"], stdin: "seed-secret")
                guard store.status == 0 else { throw Failure(description: "secret-tool store failed: \(store.stderr)") }
                try s.lockLogin()
            }
        } catch {
            s.stop()
            throw error
        }
        return s
    }

    private func startBus() throws {
        var args = ["--nofork", "--nopidfile"]
        if shape == .noSecretService {
            let conf = root.appendingPathComponent("no-services.conf")
            try """
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <keep_umask/>
              <listen>\(address)</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """.write(to: conf, atomically: true, encoding: .utf8)
            args.append("--config-file=" + conf.path)
        } else {
            args += ["--session", "--address=" + address]
        }
        // --nofork: this process owns the daemon (a forked daemon would keep our pipes open).
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        p.arguments = args
        p.environment = environment
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        busProcess = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: runtimeDir + "/bus"),
               try run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.ListNames"], timeout: 5).status == 0 {
                return
            }
            usleep(20_000)
        }
        throw Failure(description: "dbus-daemon did not come up at \(address)")
    }

    private func startKeyring() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/gnome-keyring-daemon")
        p.arguments = ["--foreground", "--unlock", "--components=secrets"]
        p.environment = environment
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        keyringProcess = p
        input.fileHandleForWriting.write(Data(password.utf8))
        try input.fileHandleForWriting.close()
        // Ready when it owns org.freedesktop.secrets and the login collection is there.
        let deadline = Date().addingTimeInterval(15)
        // Ask the bus first (NameHasOwner does not activate): a message to org.freedesktop.secrets
        // sent before our daemon owns the name would make dbus-daemon activate a second,
        // locked gnome-keyring that wins the name.
        while Date() < deadline {
            let owner = try run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
            if owner.stdout.contains("boolean true") { break }
            usleep(20_000)
        }
        while Date() < deadline {
            let r = try run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
                             "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.ReadAlias", "string:default"])
            if r.status == 0 && r.stdout.contains("/collection/login") { return }
            usleep(50_000)
        }
        throw Failure(description: "gnome-keyring-daemon did not come up on \(address)")
    }

    /// The gnome-keyring-daemon's pid (to stop it, as a hung daemon), nil without one.
    public var keyringProcessIdentifier: Int32? { keyringProcess.map { $0.processIdentifier } }

    /// Locks the login collection, as a desktop does on screen lock or before the first unlock.
    public func lockLogin() throws {
        let r = try run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
                         "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
                         "array:objpath:/org/freedesktop/secrets/collection/login"])
        guard r.status == 0 else { throw Failure(description: "Lock failed: \(r.stderr)") }
        let check = try run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
                             "/org/freedesktop/secrets/collection/login", "org.freedesktop.DBus.Properties.Get",
                             "string:org.freedesktop.Secret.Collection", "string:Locked"])
        guard check.stdout.contains("boolean true") else { throw Failure(description: "login collection did not lock: \(check.stdout)") }
    }

    public func stop() {
        if let p = keyringProcess, p.isRunning { p.terminate(); p.waitUntilExit() }
        keyringProcess = nil
        if let p = busProcess, p.isRunning { p.terminate(); p.waitUntilExit() }
        busProcess = nil
        try? FileManager.default.removeItem(at: root)
    }

    deinit { if keyringProcess != nil || busProcess != nil { stop() } }

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs a command inside this session (its environment plus `extra`), with `stdin` text.
    public func run(_ argv: [String], extra: [String: String] = [:], removing: [String] = [],
                    stdin: String? = nil, timeout: TimeInterval = 60) throws -> Result {
        var env = environment.merging(extra) { $1 }
        for k in removing { env.removeValue(forKey: k) }
        return try SecretServiceSession.run(argv, environment: env, stdin: stdin, timeout: timeout)
    }

    /// Runs a command with exactly `environment`; the first word is looked up in PATH. The run
    /// is ToolRunner's (SIGKILL at `timeout`), with an empty stdin when none is given.
    public static func run(_ argv: [String], environment: [String: String], stdin: String? = nil,
                           timeout: TimeInterval = 60) throws -> Result {
        let (path, args) = argv[0].hasPrefix("/") ? (argv[0], Array(argv.dropFirst())) : ("/usr/bin/env", argv)
        let r = try ToolRunner.run(path, args, environment: environment, stdin: Data((stdin ?? "").utf8), timeout: timeout)
        return Result(status: r.status, stdout: r.stdoutText, stderr: r.stderrText)
    }
}
