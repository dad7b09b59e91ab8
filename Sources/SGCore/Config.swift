/// sg's configuration, as docs/config.md defines it (version 1).
public struct Config: Sendable {
    public var profiles: [String: Profile] = [:]
    public var secrets: [String: SecretSpec] = [:]
    public var git = GitConfig()
    public var ssh = SSHConfig()
    public var keyring = KeyringConfig()
    public var exec = ExecConfig()
    public var watch = WatchSettings()
    public var docker = DockerConfig()
    public var kube = KubeConfig()
    public var aws = AWSConfig()
    public var ansible = AnsibleConfig()
    public var defaultProfileName: String?
    /// The files that were read, system file first.
    public var files: [String] = []
    /// The files `ConfigLoader.load` looked for, read or not (messages say what was read).
    public var searched: [String] = []

    public init() {}

    /// The profile `SG_PROFILE`, `default-profile` or the only profile names.
    public func defaultProfile() throws -> Profile {
        if let name = defaultProfileName { return try profile(name) }
        if profiles.count == 1, let only = profiles.values.first { return only }
        if profiles.isEmpty { throw SGError.config("no profiles defined (see man sg-config); \(readSummary)") }
        throw SGError.config("several profiles and no default: set default-profile or SG_PROFILE; \(readSummary)")
    }

    public func profile(_ name: String) throws -> Profile {
        guard let p = profiles[name] else {
            throw SGError.config("unknown profile '\(name)' (defined: \(profiles.keys.sorted().joined(separator: ", "))); \(readSummary)")
        }
        return p
    }

    public func secret(_ name: String) throws -> SecretSpec {
        guard let s = secrets[name] else { throw SGError.unknownSecret(name, read: readSummary) }
        return s
    }

    /// Which config files were read and which were looked for and missing, with a `config.yml`
    /// beside a missing `config.yaml` pointed out: the first question when a name is not found.
    public var readSummary: String {
        let read = files.isEmpty ? "none" : files.joined(separator: ", ")
        var text = "config read: \(read)"
        let missing = searched.filter { !files.contains($0) }
        if !missing.isEmpty { text += "; not found: \(missing.joined(separator: ", "))" }
        for path in searched where path.hasSuffix(".yaml") {
            let sibling = String(path.dropLast(5)) + ".yml"
            if FileSafety.exists(sibling) { text += "; \(sibling) is never read: rename it to \(path)" }
        }
        return text
    }

    /// The profile a secret uses.
    public func profile(for secret: SecretSpec) throws -> Profile {
        if let name = secret.profile { return try profile(name) }
        return try defaultProfile()
    }

    /// Every environment variable config reads secrets from (sg-exec hides them from its child).
    public var secretEnvironmentVariables: Set<String> {
        var names: Set<String> = []
        for s in secrets.values { if let v = s.apiKey?.environmentVariable { names.insert(v) } }
        for p in profiles.values {
            switch p {
            case .safeguard(let sp):
                for src in [sp.client?.passphrase, sp.password, sp.otp] { if let v = src?.environmentVariable { names.insert(v) } }
            case .identity(let ip):
                for src in [ip.password, ip.otp, ip.serviceUser?.secret] { if let v = src?.environmentVariable { names.insert(v) } }
            }
        }
        return names
    }
}

public enum Profile: Sendable {
    case safeguard(SafeguardProfile)
    case identity(IdentityProfile)

    public var name: String {
        switch self {
        case .safeguard(let p): return p.name
        case .identity(let p): return p.name
        }
    }

    public var tls: TLSSettings {
        switch self {
        case .safeguard(let p): return p.tls
        case .identity(let p): return p.tls
        }
    }
}

/// One appliance address of a cluster.
public struct Appliance: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int = 443) { self.host = host; self.port = port }
    public var description: String { port == 443 ? host : "\(host):\(port)" }
    /// `https://host:port`, with IPv6 literals bracketed.
    public var baseURL: String {
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "https://\(h):\(port)"
    }
}

public enum TLSVersion: String, Sendable { case v1_2 = "1.2", v1_3 = "1.3" }

/// What every HTTPS connection of a profile needs to know.
public struct TLSSettings: Sendable {
    public var caFile: String?
    /// Where `ca:` was written ("profile NAME, FILE:LINE"), for messages about the CA file.
    public var caOrigin: String = ""
    public var pins: [String] = []
    public var insecure = false
    public var tlsMax: TLSVersion?
    public var connectTimeout: Double = 5
    public var totalTimeout: Double = 30
    public var poolSize = 4
    public var client: ClientIdentity?
    public init() {}
}

/// The client certificate a profile authenticates with.
public enum ClientIdentity: Sendable {
    case pem(cert: String, key: String, passphrase: SecretSource?)
    case pkcs12(path: String, passphrase: SecretSource?)

    public var passphrase: SecretSource? {
        switch self {
        case .pem(_, _, let p): return p
        case .pkcs12(_, let p): return p
        }
    }
}

public struct SafeguardProfile: Sendable {
    public var name: String
    public var appliances: [Appliance] = []
    public var tls = TLSSettings()
    public var apiVersion = 4
    public var provider: String?
    public var username: String?
    public var password: SecretSource?
    public var otp: SecretSource?
    public var loginMethod: String?
    public var client: ClientIdentity? { tls.client }
    public init(name: String) { self.name = name }
}

public struct IdentityProfile: Sendable {
    public struct ServiceUser: Sendable {
        public var name: String
        public var app: String
        public var secret: SecretSource?
    }
    public var name: String
    public var tenantURL: String = ""
    public var username: String?
    public var password: SecretSource?
    public var mechanism: String?
    /// Source of a typed MFA answer (an OATH code, an emailed code) when no terminal is there.
    public var otp: SecretSource?
    public var serviceUser: ServiceUser?
    public var tls = TLSSettings()
    public var cacheName: String?
    public init(name: String) { self.name = name }
    /// The ArkKeyring profile name items are stored under.
    public var arkProfileName: String { cacheName ?? name }
}

public enum SecretKind: String, Sendable, CaseIterable {
    case password
    case privateKey = "private-key"
    case apiKeySecret = "api-key-secret"
    case token
}

public enum KeyFormat: String, Sendable, CaseIterable {
    case openssh, ssh2, putty
    /// The spelling the appliance documents (`keyFormat=OpenSsh`).
    public var wireName: String {
        switch self {
        case .openssh: return "OpenSsh"
        case .ssh2: return "Ssh2"
        case .putty: return "Putty"
        }
    }
}

public struct SecretSpec: Sendable {
    public var name: String
    public var profile: String?
    public var kind: SecretKind = .password
    public var apiKey: SecretSource?
    public var username: String?
    public var format: KeyFormat = .openssh
    /// For a private key: the name of the secret that holds its passphrase.
    public var passphraseSecret: String?
    /// For an API-key secret: the field `sg:NAME` gives.
    public var field: String?
    /// Where the secret was written (`file:line`), for messages that say what to change.
    public var origin: String = ""
    /// URL prefixes for which git's `credential.<url>.sgSecret` may choose this secret (`git-urls:`).
    public var gitURLs: [String] = []
    public init(name: String) { self.name = name }
}

public struct GitRule: Sendable {
    public var url: String
    public var secret: String
    public var username: String?
    public var cacheTTL: Int = 300
    public var allowHTTP = false
    /// Where the rule was written, for messages.
    public var origin: String = ""
    public init(url: String, secret: String) { self.url = url; self.secret = secret }
}

public struct GitConfig: Sendable {
    public var storeUnmapped = false
    public var rules: [GitRule] = []
    public init() {}
}

public struct SSHConfig: Sendable {
    public struct KeyRule: Sendable { public var pathGlob: String; public var secret: String }
    public struct PasswordRule: Sendable { public var match: String; public var secret: String }
    public struct ConfirmRule: Sendable { public var keyGlob: String }
    public var keys: [KeyRule] = []
    public var passwords: [PasswordRule] = []
    public var confirm: [ConfirmRule] = []
    public init() {}
}

public struct KeyringConfig: Sendable {
    public enum Backend: String, Sendable { case auto, secretService = "secret-service", file }
    public var backend: Backend = .auto
    public var directory: String?
    public var dbusTimeoutMs = 1500
    public init() {}
}

/// The `exec:` section: what sg-exec may do with the environment beyond its command line.
public struct ExecConfig: Sendable {
    /// Inherited variables whose reference values sg-exec resolves (as a bare `-e NAME` does).
    public var env: Set<String> = []
    /// Interpreter and loader hook variables a secret may set anyway (as `--allow-env NAME`).
    public var allowEnv: Set<String> = []
    public init() {}
}
