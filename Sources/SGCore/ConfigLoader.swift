#if canImport(Glibc)
import Glibc
#endif

/// Reads and validates config files (docs/config.md). Every error names file:line and the fix.
///
///     let config = try ConfigLoader.load()          // system file, then the user's
public enum ConfigLoader {
    public static let systemPath = "/etc/sg/config.yaml"

    /// The user's config path: `$SG_CONFIG`, else `$XDG_CONFIG_HOME/sg/config.yaml`, else `~/.config/sg/config.yaml`.
    public static func userPath(environment env: [String: String] = Environment.current) -> String {
        if let p = env["SG_CONFIG"], !p.isEmpty { return p }
        if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/sg/config.yaml" }
        return Environment.home(env) + "/.config/sg/config.yaml"
    }

    /// Loads the system file and the user's file layered on it; `SG_PROFILE` picks the default profile.
    public static func load(environment env: [String: String] = Environment.current,
                            systemPath: String = ConfigLoader.systemPath) throws -> Config {
        var layers: [Config] = []
        let user = userPath(environment: env)
        let searched = systemPath == user ? [user] : [systemPath, user]
        for path in searched {
            guard FileSafety.exists(path) else {
                Log.logger.debug("config: \(path) not found")
                continue
            }
            Log.logger.debug("config: reading \(path)")
            layers.append(try loadFile(path, home: Environment.home(env)))
        }
        if let explicit = env["SG_CONFIG"], !explicit.isEmpty, !FileSafety.exists(explicit) {
            throw SGError.config("SG_CONFIG names \(explicit), which does not exist")
        }
        // The first file found is the base (merging it into an empty Config would only copy it).
        var config = layers.first ?? Config()
        for layer in layers.dropFirst() { config.merge(layer) }
        config.searched = searched
        if let p = env["SG_PROFILE"], !p.isEmpty {
            config.defaultProfileName = p
        }
        if let name = config.defaultProfileName, config.profiles[name] == nil {
            throw SGError.config("default profile '\(name)' is not defined (profiles: \(config.profiles.keys.sorted().joined(separator: ", ")))")
        }
        return config
    }

    /// Parses one file. Holding an inline secret requires the file to be private.
    /// The file is checked on the descriptor it is read from (FileSafety) and capped at
    /// `YAML.maxInputBytes` while it is read.
    public static func loadFile(_ path: String, home: String = Environment.home()) throws -> Config {
        let file = try FileSafety.read(path, limit: YAML.maxInputBytes)
        guard let text = String(validating: file.bytes, as: UTF8.self) else {
            throw SGError.config("\(path): not valid UTF-8")
        }
        var parser = ConfigParser(file: path, home: home)
        let config = try parser.parse(text)
        if parser.holdsInlineSecrets {
            try file.requirePrivate()
        }
        return config
    }

    /// Parses config text (tests, fuzzing). `file` is used in messages and to resolve relative paths.
    public static func parse(_ text: String, file: String, home: String = Environment.home()) throws -> Config {
        var parser = ConfigParser(file: file, home: home)
        return try parser.parse(text)
    }
}

extension Config {
    /// Layers `other` (the user's file) over self (the system's).
    mutating func merge(_ other: Config) {
        profiles.merge(other.profiles) { $1 }
        secrets.merge(other.secrets) { $1 }
        git.rules = other.git.rules + git.rules
        if other.git.storeUnmappedSet { git.storeUnmapped = other.git.storeUnmapped }
        ssh.keys = other.ssh.keys + ssh.keys
        ssh.passwords = other.ssh.passwords + ssh.passwords
        ssh.confirm = other.ssh.confirm + ssh.confirm
        if other.keyring.isSet { keyring = other.keyring }
        exec.env.formUnion(other.exec.env)
        exec.allowEnv.formUnion(other.exec.allowEnv)
        if other.watch != WatchSettings() { watch = other.watch }
        docker.rules = other.docker.rules + docker.rules
        if other.docker.storeUnmapped { docker.storeUnmapped = true }
        kube.entries.merge(other.kube.entries) { $1 }
        aws.profiles.merge(other.aws.profiles) { $1 }
        ansible.vaultIDs.merge(other.ansible.vaultIDs) { $1 }
        if other.defaultProfileName != nil { defaultProfileName = other.defaultProfileName }
        files += other.files
    }
}

extension GitConfig { var storeUnmappedSet: Bool { storeUnmapped } }
extension KeyringConfig {
    var isSet: Bool { backend != .auto || directory != nil || dbusTimeoutMs != 1500 }
}

/// A YAML node with the file it came from, for error messages.
///
/// Every `what` (the words an error names the node by) is an autoclosure: it is built only when
/// there is an error to report, not for each of the hundreds of nodes a valid file holds
/// (docs/secret-service-startup.md measured the eager strings and hashed key sets at a third of
/// sg's parsing cost).
struct YNode {
    let node: YAMLNode
    let file: String

    var line: Int { node.line }

    func error(_ message: String) -> SGError {
        .config("\(file):\(line): \(message)")
    }

    /// A mapping whose keys must all be in `allowed` (empty: any key, for free-form names).
    /// `allowed` is a short constant list, searched in order: a constant array literal costs
    /// nothing to pass, while a `Set` literal is built and hashed anew on every call.
    func mapping(_ what: @autoclosure () -> String, allowed: [String]) throws -> [(key: String, value: YNode)] {
        guard case .mapping(let m) = node.kind else { throw error("\(what()) must be a mapping") }
        var out: [(key: String, value: YNode)] = []
        out.reserveCapacity(m.count)
        var seen = KeySeen()
        for pair in m {
            guard case .scalar(let key) = pair.key.kind else { throw YNode(node: pair.key, file: file).error("keys must be plain words") }
            if !allowed.isEmpty && !allowed.contains(key) {
                throw YNode(node: pair.key, file: file).error("unknown key '\(key)' in \(what()) (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            if seen.repeats(key, among: out) { throw YNode(node: pair.key, file: file).error("duplicate key '\(key)' in \(what())") }
            out.append((key, YNode(node: pair.value, file: file)))
        }
        return out
    }

    /// A mapping of free-form names (profiles, secrets).
    func namedMapping(_ what: @autoclosure () -> String) throws -> [(key: String, value: YNode)] {
        try mapping(what(), allowed: [])
    }

    /// The named entries of a section whose one key holds them (`aws: {profiles: {NAME: …}}`),
    /// each name checked by `valid`; `rule` says what a name may be.
    func namedEntries(of section: String, under key: String, valid: (String) -> Bool, rule: String) throws -> [(key: String, value: YNode)] {
        var out: [(key: String, value: YNode)] = []
        for (_, value) in try mapping(section, allowed: [key]) {
            for (name, entry) in try value.namedMapping("\(section).\(key)") {
                guard valid(name) else { throw entry.error("bad name '\(name.prefix(64))' in \(section).\(key): \(rule)") }
                out.append((name, entry))
            }
        }
        return out
    }

    func string(_ what: @autoclosure () -> String) throws -> String {
        guard case .scalar(let s) = node.kind else { throw error("\(what()) must be a single value") }
        return s
    }

    func int(_ what: @autoclosure () -> String, range: ClosedRange<Int>) throws -> Int {
        let s = try string(what())
        guard let v = Int(s), range.contains(v) else { throw error("\(what()) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(s.prefix(40))'") }
        return v
    }

    func seconds(_ what: @autoclosure () -> String) throws -> Double {
        let s = try string(what())
        guard let v = Double(s), v > 0, v <= 3600 else { throw error("\(what()) must be a number of seconds (0 < n <= 3600)") }
        return v
    }

    func bool(_ what: @autoclosure () -> String) throws -> Bool {
        switch try string(what()).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(what()) must be true or false")
        }
    }

    /// A secret reference (`sg:NAME`, `sg:NAME#FIELD`, `sg:token/PROFILE`), never a value: a
    /// section that maps a host tool's name to a secret holds no secret itself.
    func reference(_ what: @autoclosure () -> String) throws -> SecretReference {
        let text = try string(what())
        guard SecretReference.looksLikeReference(text) else {
            throw error("\(what()) is a reference (sg:NAME or sg:NAME#FIELD), never the secret itself")
        }
        do { return try SecretReference(parsing: text) } catch let e as SGError { throw error("\(what()): \(e.message)") }
    }

    func list(_ what: @autoclosure () -> String) throws -> [YNode] {
        switch node.kind {
        case .sequence(let s): return s.map { YNode(node: $0, file: file) }
        case .scalar: return [self]
        default: throw error("\(what()) must be a list")
        }
    }
}

/// The duplicate-key check of `YNode.mapping`: a scan of the keys kept so far while the mapping
/// is small, a hashed set from the 128th key on, so a file with thousands of secrets stays
/// linear. Below that the scan is the cheaper one: comparing short names costs a few
/// instructions, hashing one a few hundred, and the set's first use in a process more than the
/// whole scan (measured on sg-sim's 64-secret config, docs/secret-service-startup.md).
struct KeySeen {
    private var hashed: Set<String>?
    private static let scanLimit = 128

    mutating func repeats(_ key: String, among kept: [(key: String, value: YNode)]) -> Bool {
        if hashed == nil {
            if kept.count < Self.scanLimit { return kept.contains { $0.key == key } }
            hashed = Set(kept.lazy.map(\.key))
        }
        return !hashed!.insert(key).inserted
    }
}

struct ConfigParser {
    let file: String
    let home: String
    /// The folder relative paths in the file start from.
    let folder: String
    var holdsInlineSecrets = false

    init(file: String, home: String) {
        self.file = file
        self.home = home
        self.folder = parentFolder(of: file)
    }

    mutating func parse(_ text: String) throws -> Config {
        var config = Config()
        config.files = [file]
        let root: YAMLNode?
        do {
            root = try YAML.compose(text)
        } catch let e as YAMLError {
            if let tab = Self.firstTabIndentedLine(text) {
                throw SGError.config("\(file):\(tab): a tab in the indentation; YAML indents with spaces only: replace it with spaces (libyaml: \(e.problem))")
            }
            throw SGError.config(e.located(in: file))
        }
        guard let root else { throw SGError.config("\(file): empty file; it needs at least 'version: 1'") }
        let top = YNode(node: root, file: file)
        let entries = try top.mapping("the top level", allowed: ["version", "default-profile", "profiles", "secrets", "git", "ssh", "keyring", "exec", "watch", "docker", "kube", "aws", "ansible"])
        guard let version = entries.first(where: { $0.key == "version" }) else {
            throw top.error("missing 'version: 1'")
        }
        guard try version.value.string("version") == "1" else {
            throw version.value.error("unsupported version; this sg reads 'version: 1'")
        }
        for (key, value) in entries {
            switch key {
            case "default-profile": config.defaultProfileName = try value.string("default-profile")
            case "profiles":
                for (name, p) in try value.namedMapping("profiles") {
                    guard SecretReference.isValidName(name) else { throw p.error("bad profile name '\(name)'") }
                    config.profiles[name] = try parseProfile(name, p)
                }
            case "secrets":
                let named = try value.namedMapping("secrets")
                config.secrets.reserveCapacity(named.count)
                for (name, s) in named {
                    guard SecretReference.isValidName(name) else { throw s.error("bad secret name '\(name)': use letters, digits, '.', '_', '-'") }
                    config.secrets[name] = try parseSecret(name, s)
                }
            case "git": config.git = try parseGit(value)
            case "ssh": config.ssh = try parseSSH(value)
            case "keyring": config.keyring = try parseKeyring(value)
            case "exec": config.exec = try parseExec(value)
            case "watch": config.watch = try parseWatch(value)
            case "docker": config.docker = try parseDocker(value)
            case "kube": config.kube = try parseKube(value)
            case "aws": config.aws = try parseAWS(value)
            case "ansible": config.ansible = try parseAnsible(value)
            default: break
            }
        }
        for (name, s) in config.secrets {
            if let p = s.profile, config.profiles.index(forKey: p) == nil {
                throw SGError.config("\(file): secret '\(name)' uses profile '\(p)', which is not defined here")
            }
        }
        return config
    }

    /// The first line (1-based) whose indentation holds a tab, checked on bytes: libyaml's own
    /// words for it ("found character that cannot start any token") do not say "tab".
    static func firstTabIndentedLine(_ text: String) -> Int? {
        var line = 1
        var indenting = true
        for byte in text.utf8 {
            switch byte {
            case 0x0A: line += 1; indenting = true
            case 0x09 where indenting: return line
            case 0x20, 0x2D where indenting: continue   // "- " list items indent too
            default: indenting = false
            }
        }
        return nil
    }

    func path(_ node: YNode, _ what: @autoclosure () -> String) throws -> String {
        let raw = try node.string(what())
        guard !raw.isEmpty else { throw node.error("\(what()) is empty") }
        if raw.hasPrefix("~/") { return home + raw.dropFirst(1) }
        if raw.hasPrefix("/") { return raw }
        return folder + "/" + raw
    }

    mutating func source(_ node: YNode, _ what: @autoclosure () -> String) throws -> SecretSource {
        if case .scalar = node.node.kind {
            holdsInlineSecrets = true
            return .literal(SecretBytes(string: try node.string(what())))
        }
        let m = try node.mapping(what(), allowed: ["env", "file", "command"])
        guard m.count == 1, let (kind, value) = m.first else {
            throw node.error("\(what()) takes exactly one of env, file, command")
        }
        switch kind {
        case "env": return .env(try value.string("\(what()).env"))
        case "file": return .file(try path(value, "\(what()).file"))
        default: return .command(try value.string("\(what()).command"))
        }
    }

    mutating func parseTLS(_ entries: [(key: String, value: YNode)], profile: String, into tls: inout TLSSettings) throws {
        for (key, value) in entries {
            switch key {
            case "ca":
                tls.caFile = try path(value, "ca")
                tls.caOrigin = "profile \(profile), \(file):\(value.line)"
            case "pin": tls.pins = try value.list("pin").map { n -> String in
                let pin = try n.string("pin")
                guard pin.hasPrefix("sha256//") else { throw n.error("a pin looks like sha256//BASE64 (the SHA-256 of the server's SPKI)") }
                return pin
            }
            case "insecure": tls.insecure = try value.bool("insecure")
            case "tls-max":
                let v = try value.string("tls-max")
                guard let t = TLSVersion(rawValue: v) else { throw value.error("tls-max must be \"1.2\" or \"1.3\"") }
                tls.tlsMax = t
            case "timeouts":
                for (k, v) in try value.mapping("timeouts", allowed: ["connect", "total"]) {
                    if k == "connect" { tls.connectTimeout = try v.seconds("timeouts.connect") } else { tls.totalTimeout = try v.seconds("timeouts.total") }
                }
            case "pool": tls.poolSize = try value.int("pool", range: 1...16)
            case "client": tls.client = try parseClient(value)
            default: break
            }
        }
    }

    mutating func parseClient(_ node: YNode) throws -> ClientIdentity {
        let m = try node.mapping("client", allowed: ["cert", "key", "key-passphrase", "pkcs12", "passphrase"])
        let get = { (k: String) in m.first(where: { $0.key == k })?.value }
        if let p12 = get("pkcs12") {
            if get("cert") != nil || get("key") != nil { throw node.error("client: give either pkcs12 or cert+key, not both") }
            return .pkcs12(path: try path(p12, "client.pkcs12"), passphrase: try get("passphrase").map { try source($0, "client.passphrase") })
        }
        guard let cert = get("cert"), let key = get("key") else {
            throw node.error("client needs cert and key (PEM) or pkcs12")
        }
        let pass = try (get("key-passphrase") ?? get("passphrase")).map { try source($0, "client.key-passphrase") }
        return .pem(cert: try path(cert, "client.cert"), key: try path(key, "client.key"), passphrase: pass)
    }

    static let tlsKeys = ["ca", "pin", "insecure", "tls-max", "timeouts", "pool", "client"]

    /// A profile's entries, allowed: `kind`, the TLS keys every kind shares and the kind's own
    /// `keys`; the TLS ones are already read into `tls`, so each kind reads only its own.
    mutating func profileEntries(_ name: String, _ node: YNode, keys: [String],
                                 tls: inout TLSSettings) throws -> [(key: String, value: YNode)] {
        let entries = try node.mapping("profile \(name)", allowed: ["kind"] + Self.tlsKeys + keys)
        try parseTLS(entries, profile: name, into: &tls)
        return entries
    }

    mutating func parseProfile(_ name: String, _ node: YNode) throws -> Profile {
        let kindEntry = try node.mapping("profile \(name)", allowed: []).first(where: { $0.key == "kind" })
        let kind = try kindEntry?.value.string("kind") ?? "safeguard"
        switch kind {
        case "safeguard":
            var p = SafeguardProfile(name: name)
            let keys = ["appliances", "api-version", "provider", "username", "password", "otp", "login"]
            for (key, value) in try profileEntries(name, node, keys: keys, tls: &p.tls) {
                switch key {
                case "appliances": p.appliances = try value.list("appliances").map { try appliance($0) }
                case "api-version": p.apiVersion = try value.int("api-version", range: 3...4)
                case "provider": p.provider = try value.string("provider")
                case "username": p.username = try value.string("username")
                case "password": p.password = try source(value, "password")
                case "otp": p.otp = try source(value, "otp")
                case "login":
                    let m = try value.string("login")
                    guard ["pkce", "password", "certificate"].contains(m) else { throw value.error("login must be pkce, password or certificate") }
                    p.loginMethod = m
                default: break
                }
            }
            guard !p.appliances.isEmpty else { throw node.error("profile \(name) needs 'appliances: [host[:port], ...]'") }
            return .safeguard(p)
        case "cyberark-identity":
            var p = IdentityProfile(name: name)
            let keys = ["tenant", "username", "password", "mechanism", "otp", "service-user", "cache-name"]
            for (key, value) in try profileEntries(name, node, keys: keys, tls: &p.tls) {
                switch key {
                case "tenant":
                    var url = try value.string("tenant")
                    if !url.contains("://") { url = "https://" + url }
                    guard url.hasPrefix("https://") else { throw value.error("tenant must be an https:// URL") }
                    while url.hasSuffix("/") { url.removeLast() }
                    p.tenantURL = url
                case "username": p.username = try value.string("username")
                case "password": p.password = try source(value, "password")
                case "mechanism": p.mechanism = try value.string("mechanism")
                case "otp": p.otp = try source(value, "otp")
                case "cache-name": p.cacheName = try value.string("cache-name")
                case "service-user":
                    let m = try value.mapping("service-user", allowed: ["name", "app", "secret"])
                    let get = { (k: String) in m.first(where: { $0.key == k })?.value }
                    guard let n = get("name") else { throw value.error("service-user needs name") }
                    p.serviceUser = .init(name: try n.string("service-user.name"),
                                          app: try get("app")?.string("service-user.app") ?? "__idaptive_cybr_user_oidc",
                                          secret: try get("secret").map { try source($0, "service-user.secret") })
                default: break
                }
            }
            guard !p.tenantURL.isEmpty else { throw node.error("profile \(name) needs 'tenant: https://TENANT.id.cyberark.cloud'") }
            return .identity(p)
        default:
            throw (kindEntry?.value ?? node).error("unknown profile kind '\(kind)' (safeguard or cyberark-identity)")
        }
    }

    func appliance(_ node: YNode) throws -> Appliance {
        var text = try node.string("appliance")
        if text.hasPrefix("http://") { throw node.error("appliance \(text): http:// is refused; use https") }
        if text.hasPrefix("https://") { text.removeFirst("https://".count) }
        while text.hasSuffix("/") { text.removeLast() }
        guard !text.isEmpty, !text.contains("/"), !text.contains(" ") else { throw node.error("appliance must be host or host:port") }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw node.error("bad IPv6 address \(text)") }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return Appliance(host: host) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { throw node.error("bad port in \(text)") }
            return Appliance(host: host, port: port)
        }
        let parts = text.split(separator: ":")
        if parts.count == 1 { return Appliance(host: text) }
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { throw node.error("bad appliance '\(text)': host or host:port") }
        return Appliance(host: String(parts[0]), port: port)
    }

    mutating func parseSecret(_ name: String, _ node: YNode) throws -> SecretSpec {
        var s = SecretSpec(name: name)
        s.origin = "\(file):\(node.line)"
        let entries = try node.mapping("secret \(name)", allowed: ["profile", "kind", "api-key", "username", "format", "passphrase", "field", "git-urls"])
        for (key, value) in entries {
            switch key {
            case "profile": s.profile = try value.string("profile")
            case "kind":
                let k = try value.string("kind")
                guard let kind = SecretKind(rawValue: k) else { throw value.error("kind must be one of \(SecretKind.allCases.map(\.rawValue).joined(separator: ", "))") }
                s.kind = kind
            case "api-key": s.apiKey = try source(value, "api-key")
            case "username": s.username = try value.string("username")
            case "format":
                let f = try value.string("format").lowercased()
                guard let fmt = KeyFormat(rawValue: f) else { throw value.error("format must be openssh, ssh2 or putty") }
                s.format = fmt
            case "passphrase":
                let n = try value.string("passphrase")
                guard SecretReference.isValidName(n) else { throw value.error("passphrase names another secret") }
                s.passphraseSecret = n
            case "field": s.field = try value.string("field")
            case "git-urls":
                for u in try value.list("git-urls") {
                    let url = try u.string("git-urls")
                    guard url.hasPrefix("https://"), GitRules.Pattern(url: url) != nil else {
                        throw u.error("git-urls entries are https://host[:port][/path] (no user, '.' or '..'); plain http needs a git.rules entry with allow-http")
                    }
                    s.gitURLs.append(url)
                }
            default: break
            }
        }
        if s.kind != .token && s.apiKey == nil {
            throw node.error("secret \(name) needs 'api-key' (a source: {env: VAR}, {file: PATH} or {command: CMD})")
        }
        return s
    }

    func parseGit(_ node: YNode) throws -> GitConfig {
        var g = GitConfig()
        for (key, value) in try node.mapping("git", allowed: ["store-unmapped", "rules"]) {
            if key == "store-unmapped" { g.storeUnmapped = try value.bool("git.store-unmapped"); continue }
            for r in try value.list("git.rules") {
                let m = try r.mapping("a git rule", allowed: ["url", "secret", "username", "cache-ttl", "allow-http"])
                let get = { (k: String) in m.first(where: { $0.key == k })?.value }
                guard let url = get("url"), let secret = get("secret") else { throw r.error("a git rule needs url and secret") }
                let urlText = try url.string("url")
                guard urlText.hasPrefix("https://") || urlText.hasPrefix("http://") else {
                    throw url.error("git rule url must start with https:// (or http:// with allow-http: true)")
                }
                var rule = GitRule(url: urlText, secret: try secret.string("secret"))
                rule.username = try get("username")?.string("username")
                if let t = get("cache-ttl") { rule.cacheTTL = try t.int("cache-ttl", range: 0...86400) }
                if let h = get("allow-http") { rule.allowHTTP = try h.bool("allow-http") }
                if urlText.hasPrefix("http://") && !rule.allowHTTP {
                    throw url.error("an http:// rule needs allow-http: true")
                }
                rule.origin = "\(file):\(r.line)"
                g.rules.append(rule)
            }
        }
        return g
    }

    func parseSSH(_ node: YNode) throws -> SSHConfig {
        var s = SSHConfig()
        for (key, value) in try node.mapping("ssh", allowed: ["keys", "passwords", "confirm"]) {
            for item in try value.list("ssh.\(key)") {
                switch key {
                case "keys":
                    let m = try item.mapping("an ssh key rule", allowed: ["path", "secret"])
                    guard let p = m.first(where: { $0.key == "path" })?.value, let sec = m.first(where: { $0.key == "secret" })?.value else {
                        throw item.error("an ssh key rule needs path and secret")
                    }
                    var glob = try p.string("path")
                    if glob.hasPrefix("~/") { glob = home + glob.dropFirst(1) }
                    s.keys.append(.init(pathGlob: glob, secret: try sec.string("secret")))
                case "passwords":
                    let m = try item.mapping("an ssh password rule", allowed: ["match", "secret"])
                    guard let p = m.first(where: { $0.key == "match" })?.value, let sec = m.first(where: { $0.key == "secret" })?.value else {
                        throw item.error("an ssh password rule needs match (user@host glob) and secret")
                    }
                    let match = try p.string("match")
                    guard match.contains("@") else { throw p.error("match is a user@host pattern") }
                    s.passwords.append(.init(match: match, secret: try sec.string("secret")))
                default:
                    let m = try item.mapping("an ssh confirm rule", allowed: ["key"])
                    guard let k = m.first?.value else { throw item.error("a confirm rule needs key (a fingerprint glob)") }
                    s.confirm.append(.init(keyGlob: try k.string("key")))
                }
            }
        }
        return s
    }

    func parseKeyring(_ node: YNode) throws -> KeyringConfig {
        var k = KeyringConfig()
        for (key, value) in try node.mapping("keyring", allowed: ["backend", "file", "dbus-timeout-ms"]) {
            switch key {
            case "backend":
                let b = try value.string("backend")
                guard let backend = KeyringConfig.Backend(rawValue: b) else { throw value.error("backend must be auto, secret-service or file") }
                k.backend = backend
            case "file": k.directory = try path(value, "keyring.file")
            default: k.dbusTimeoutMs = try value.int("dbus-timeout-ms", range: 50...60000)
            }
        }
        return k
    }

    /// `exec: {env: [NAME, ...], allow-env: [NAME, ...]}`: exact variable names only.
    func parseExec(_ node: YNode) throws -> ExecConfig {
        var e = ExecConfig()
        for (key, value) in try node.mapping("exec", allowed: ["env", "allow-env"]) {
            var names: Set<String> = []
            for item in try value.list("exec.\(key)") {
                let name = try item.string("exec.\(key)")
                guard Self.isVariableName(name) else {
                    throw item.error("exec.\(key): '\(name.prefix(64))' is not a variable name (exact names only: letters, digits, '_')")
                }
                names.insert(name)
            }
            if key == "env" { e.env = names } else { e.allowEnv = names }
        }
        return e
    }

    /// `watch: {poll, ping-interval, reconnect-min, reconnect-max}` in seconds (WatchSettings).
    func parseWatch(_ node: YNode) throws -> WatchSettings {
        var w = WatchSettings()
        for (key, value) in try node.mapping("watch", allowed: ["poll", "ping-interval", "reconnect-min", "reconnect-max"]) {
            let v = try value.seconds("watch.\(key)")
            switch key {
            case "poll": w.poll = v
            case "ping-interval": w.pingInterval = v
            case "reconnect-min": w.reconnectMin = v
            default: w.reconnectMax = v
            }
        }
        if w.reconnectMin > w.reconnectMax {
            throw node.error("watch.reconnect-min (\(w.reconnectMin) s) is more than watch.reconnect-max (\(w.reconnectMax) s)")
        }
        return w
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, checked on bytes.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
