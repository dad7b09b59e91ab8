import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Picks the keyring backend (docs/keyring.md).
///
/// `SG_KEYRING=secret-service|file` or `keyring.backend` forces one. `auto` (the default) uses
/// the Secret Service when the session bus answers within `keyring.dbus-timeout-ms` that
/// `org.freedesktop.secrets` is owned or activatable, else the encrypted file. When there is no
/// session bus address at all, auto decides without loading libsecret.
/// `SG_KEYRING_COLLECTION=session` stores in the Secret Service's in-memory collection.
///
///     let backend = try KeyringSelection.backend(config: config.keyring)
public enum KeyringSelection {
    public struct Choice: Sendable {
        public let kind: KeyringKind
        /// Why this backend: "SG_KEYRING", "config", or what auto found.
        public let reason: String
    }

    /// Which backend to use, probing the bus only in `auto` mode.
    public static func choose(config: KeyringConfig = KeyringConfig(),
                              environment env: [String: String] = Environment.current) throws -> Choice {
        if let forced = env["SG_KEYRING"], !forced.isEmpty {
            switch forced {
            case "secret-service": return Choice(kind: .secretService, reason: "SG_KEYRING=secret-service")
            case "file": return Choice(kind: .file, reason: "SG_KEYRING=file")
            case "auto": break
            default: throw SGError.config("SG_KEYRING must be auto, secret-service or file (got '\(forced)')")
            }
        } else if config.backend != .auto {
            return Choice(kind: config.backend == .file ? .file : .secretService, reason: "keyring.backend: \(config.backend.rawValue)")
        }
        guard sessionBusConfigured(env) else {
            return Choice(kind: .file, reason: "no D-Bus session bus")
        }
        do {
            switch try LibSecret.probe(timeoutMs: config.dbusTimeoutMs) {
            case .owned: return Choice(kind: .secretService, reason: "org.freedesktop.secrets is running")
            case .activatable: return Choice(kind: .secretService, reason: "org.freedesktop.secrets is activatable")
            case .absent: return Choice(kind: .file, reason: "no Secret Service on the session bus")
            }
        } catch let f as LibSecret.Failure {
            return Choice(kind: .file, reason: "session bus unusable: \(f.message)")
        }
    }

    /// The backend itself.
    public static func backend(config: KeyringConfig = KeyringConfig(),
                               environment env: [String: String] = Environment.current) throws -> any KeyringBackend {
        try make(try choose(config: config, environment: env), config: config, environment: env)
    }

    public static func make(_ choice: Choice, config: KeyringConfig,
                            environment env: [String: String] = Environment.current) throws -> any KeyringBackend {
        switch choice.kind {
        case .secretService:
            let collection = env["SG_KEYRING_COLLECTION"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            return SecretServiceKeyring(collection: collection, timeoutMs: config.dbusTimeoutMs)
        case .file:
            return try FileKeyring(directory: FileKeyring.defaultDirectory(config: config, environment: env))
        }
    }

    /// The keyring for short-lived copies of fetched secrets (git's `cache-ttl`, the docker and
    /// kubectl plugins): the Secret Service's in-memory `session` collection, never the login
    /// keyring; on the file backend an encrypted keyring in `$XDG_RUNTIME_DIR/sg/<folder>` (tmpfs,
    /// gone at logout), or the normal keyring folder when there is no runtime folder.
    public static func session(folder: String, config: KeyringConfig,
                               environment env: [String: String] = Environment.current) throws -> any KeyringBackend {
        let choice = try choose(config: config, environment: env)
        if choice.kind == .secretService {
            return SecretServiceKeyring(collection: "session", timeoutMs: config.dbusTimeoutMs)
        }
        if let run = env["XDG_RUNTIME_DIR"], run.hasPrefix("/"), FileSafety.exists(run) {
            return try FileKeyring(directory: run + "/sg/" + folder)
        }
        return try make(choice, config: config, environment: env)
    }

    /// Is there a session bus to ask? (`DBUS_SESSION_BUS_ADDRESS`, or the systemd user bus
    /// socket `$XDG_RUNTIME_DIR/bus` that GDBus falls back to.)
    static func sessionBusConfigured(_ env: [String: String]) -> Bool {
        if let a = env["DBUS_SESSION_BUS_ADDRESS"], !a.isEmpty { return true }
        if let r = env["XDG_RUNTIME_DIR"], !r.isEmpty {
            var st = stat()
            return stat(r + "/bus", &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
        }
        return false
    }
}
