import Foundation

/// What `sg-sim` writes to `ready.json` once every listener is up (docs/sim.md lists every field).
public struct SimReady: Decodable, Sendable {
    public struct RSTSUser: Decodable, Sendable {
        public let password: String
        public let passwordGrant: Bool
        public let mfa: Bool
    }
    public struct IdentityUser: Decodable, Sendable {
        public let password: String
        public let oob: Bool
        public let redirect: Bool
        /// Names of the second challenge's mechanisms (`EMAIL`, `OTP`, `OATH`, …).
        public let mechanisms: [String]
        public let newPackage: Bool
        /// `browser` or `pin` for external-IdP users.
        public let idp: String?
    }
    public struct ServiceUser: Decodable, Sendable {
        public let name: String
        public let app: String
        public let secret: String
    }
    public struct Users: Decodable, Sendable {
        public let rsts: [String: RSTSUser]
        public let otp: String
        public let identity: [String: IdentityUser]
        public let identityService: ServiceUser
        public let oobPolls: Int
        public let securityAnswer: String
    }

    public let pid: Int32
    public let port: Int
    public let identityPort: Int
    public let adminPort: Int
    public let host: String
    public let stateDir: String
    public let config: String
    public let ca: String
    public let caKey: String?
    public let serverCert: String
    public let serverKey: String?
    public let clientCert: String
    public let clientKey: String
    public let clientKeyEncrypted: String
    public let clientKeyPassphrase: String
    public let clientPassphraseFile: String
    public let clientP12: String
    public let clientP12Legacy: String
    public let clientP12Passphrase: String
    public let rogueCert: String
    public let rogueKey: String
    public let otherCA: String
    /// Secret name (and `broker`) → A2A API key.
    public let apiKeys: [String: String]
    /// The fixed password secrets' values (not `rotating-pw`, which changes).
    public let passwords: [String: String]
    public let sshKeyPassphrase: String
    public let users: Users

    /// `https://127.0.0.1:<port>`, the Safeguard appliance.
    public var baseURL: String { "https://\(host):\(port)" }
    /// `https://127.0.0.1:<identityPort>`, the CyberArk Identity tenant.
    public var identityURL: String { "https://\(host):\(identityPort)" }
    /// `http://127.0.0.1:<adminPort>`, fault injection and the request log.
    public var adminURL: String { "http://\(host):\(adminPort)" }
}

/// One `GET /admin/log` entry. The log never holds a secret.
public struct SimLogEntry: Decodable, Sendable, Equatable {
    public let method: String
    public let path: String
    public let auth: String
    public let cert: String
    public let conn: Int
    public let status: Int

    public init(method: String, path: String, auth: String, cert: String, conn: Int, status: Int) {
        self.method = method
        self.path = path
        self.auth = auth
        self.cert = cert
        self.conn = conn
        self.status = status
    }
}

/// `GET /admin/stats`.
public struct SimStats: Decodable, Sendable, Equatable {
    public let connections: Int
    public let requests: Int
    public let logins: Int

    public init(connections: Int, requests: Int, logins: Int) {
        self.connections = connections
        self.requests = requests
        self.logins = logins
    }
}

public enum SimulatorError: Error, CustomStringConvertible {
    case exited(Int32, String)
    case timeout(String)
    case admin(String)

    public var description: String {
        switch self {
        case .exited(let code, let err): return "sg-sim exited with status \(code) before it was ready: \(err)"
        case .timeout(let err): return "sg-sim was not ready within the timeout: \(err)"
        case .admin(let s): return "sg-sim admin call failed: \(s)"
        }
    }
}

/// Runs `sg-sim start` in a fresh state folder for a test, e.g.
/// `let sim = try Simulator(); defer { sim.stop() }` then `sim.ready.baseURL`, `try sim.admin("/admin/fault", json: [...])`.
///
/// Key generation is cached across runs: unless `SG_SIM_PKI_CACHE` is already set, the sim is started
/// with `SG_SIM_PKI_CACHE=<package>/.sg-test/sim-pki-cache`, so only the first sim of a checkout pays
/// for openssl/ssh-keygen/puttygen. The state folder is removed by `stop()` (also run by deinit).
public final class Simulator: @unchecked Sendable {
    public let ready: SimReady
    /// The wrapper folder: `sim.stderr`, and `state/` unless a state folder was given.
    public let stateDir: URL
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    /// Starts the sim. `state` reuses a caller-owned state folder (kept by `stop()`, e.g. to test a
    /// restart); by default a fresh one is made inside `stateDir` (the wrapper folder that also holds
    /// `sim.stderr`), which `stop()` removes.
    public init(flags: [String] = [], state givenState: URL? = nil, timeout: TimeInterval = 60) throws {
        stateDir = try TestPaths.makeTempDir("sim")
        let errPath = stateDir.appendingPathComponent("sim.stderr")
        let state = givenState ?? stateDir.appendingPathComponent("state")
        process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.binary("sg-sim"))
        process.arguments = ["start", "--state", state.path] + flags
        var env = ProcessInfo.processInfo.environment
        if env["SG_SIM_PKI_CACHE"] == nil {
            env["SG_SIM_PKI_CACHE"] = TestPaths.packageRoot.appendingPathComponent(".sg-test/sim-pki-cache").path
        }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try TestPaths.output(to: errPath)
        try process.run()

        let readyPath = state.appendingPathComponent("ready.json")
        let deadline = Date(timeIntervalSinceNow: timeout)
        func stderrText() -> String {
            String(decoding: (try? Data(contentsOf: errPath)) ?? Data(), as: UTF8.self)
        }
        while true {
            if let data = try? Data(contentsOf: readyPath), let r = try? JSONDecoder().decode(SimReady.self, from: data) {
                ready = r
                break
            }
            if !process.isRunning {
                throw SimulatorError.exited(process.terminationStatus, stderrText())
            }
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw SimulatorError.timeout(stderrText())
            }
            usleep(50_000)
        }
    }

    /// Calls the admin listener: POST with a JSON body when `json` is given, else GET.
    @discardableResult
    public func admin(_ path: String, json: Any? = nil) throws -> (status: Int, body: Data) {
        var args = ["-s", "-S", "--max-time", "30", "-w", "\n%{http_code}"]
        if let json {
            let body = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
            args += ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", String(decoding: body, as: UTF8.self)]
        }
        args.append(ready.adminURL + path)
        let r = try ToolRunner.run("/usr/bin/curl", args, environment: ProcessInfo.processInfo.environment, timeout: 40)
        let data = r.stdout
        guard r.status == 0, let nl = data.lastIndex(of: UInt8(ascii: "\n")),
              let status = Int(String(decoding: data[(nl + 1)...], as: UTF8.self)) else {
            throw SimulatorError.admin("\(path): curl exit \(r.status)")
        }
        return (status, Data(data[..<nl]))
    }

    /// POST with an empty JSON object (for `/admin/clear`, `/admin/expire-tokens`, `/admin/reset-log`).
    @discardableResult
    public func post(_ path: String) throws -> (status: Int, body: Data) {
        try admin(path, json: [String: Any]())
    }

    /// An admin call's JSON object reply (`/admin/identity/outbox`, `/admin/identity/totp`, …).
    public func adminObject(_ path: String, json: Any? = nil) throws -> [String: Any] {
        let r = try admin(path, json: json)
        guard r.status == 200, let object = try JSONSerialization.jsonObject(with: r.body) as? [String: Any] else {
            throw SimulatorError.admin("\(path): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        return object
    }

    public func log() throws -> [SimLogEntry] {
        try JSONDecoder().decode([SimLogEntry].self, from: admin("/admin/log").body)
    }

    public func stats() throws -> SimStats {
        try JSONDecoder().decode(SimStats.self, from: admin("/admin/stats").body)
    }

    /// SIGTERM, wait for the exit, remove the state folder (unless the caller gave it). Safe to call twice.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: stateDir)
    }

    /// The exit status after `stop()` (0 for a clean SIGTERM shutdown).
    public var exitStatus: Int32? {
        process.isRunning ? nil : process.terminationStatus
    }

    deinit { stop() }
}
