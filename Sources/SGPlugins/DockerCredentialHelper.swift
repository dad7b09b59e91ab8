import SGCore
import SGResolver

/// The behaviour of `docker-credential-sg get|store|erase|list` (docs/plugins.md, docs/config.md
/// `docker:`), the way git-credential-sg treats git:
///
/// - A registry a `docker.rules` entry maps is answered from its secret: from the session keyring
///   while a copy is fresh (`cache-ttl`), else fetched by A2A and kept. `store` for it is a no-op
///   (nothing is ever written to Safeguard) and `erase` drops the kept copy.
/// - Any other registry has no credentials (`credentials not found in native keychain`, so the
///   client goes anonymous), unless `docker.store-unmapped` is on: then `store`, `get` and
///   `erase` keep it in the persistent keyring, as docker-credential-secretservice does.
///
///     let helper = DockerCredentialHelper(config: config, resolve: { try resolver.resolve(secret: $0) },
///                                         cache: { try PluginCache.open($0, config: config.keyring) })
///     let answer = try helper.get("https://registry.corp:5000")
public struct DockerCredentialHelper {
    public enum Action: String, Sendable, CaseIterable {
        case get, store, erase, list, version
    }

    public let config: Config
    public let resolve: (SecretSpec) throws -> ResolvedSecret
    public let cache: (PluginCache.Collection) throws -> PluginCache

    public init(config: Config, resolve: @escaping (SecretSpec) throws -> ResolvedSecret,
                cache: @escaping (PluginCache.Collection) throws -> PluginCache) {
        self.config = config
        self.resolve = resolve
        self.cache = cache
    }

    /// The registry key of a server URL, or malformed input naming what was wrong.
    public static func registry(_ serverURL: String) throws -> String {
        guard let key = DockerRegistry.key(serverURL) else {
            throw SGError.malformedInput("'\(serverURL.prefix(80))' is not a registry address (host[:port] or https://host[:port][/path])")
        }
        return key
    }

    static func cacheService(_ secret: String) -> String { "sg-docker:" + secret }
    static func storedService(_ registry: String) -> String { "docker:" + registry }

    // MARK: get

    public func get(_ serverURL: String) throws -> DockerCredentialProtocol.Credential {
        let registry = try Self.registry(serverURL)
        if let rule = config.docker.rule(for: registry) {
            // A password from Safeguard never goes over plain HTTP (as git.rules without allow-http).
            if DockerRegistry.isPlainHTTP(serverURL) {
                Log.logger.warning("docker: \(registry) is asked for over plain http://; its rule's password is not given out")
                throw DockerCredentialProtocol.Failure.notFound
            }
            let (username, secret) = try mapped(rule)
            return .init(serverURL: serverURL, username: username, secret: secret)
        }
        guard config.docker.storeUnmapped else {
            Log.logger.debug("docker: no docker.rules entry for \(registry) and store-unmapped is off")
            throw DockerCredentialProtocol.Failure.notFound
        }
        guard let stored = try cache(.persistent).entries(service: Self.storedService(registry)).first else { throw DockerCredentialProtocol.Failure.notFound }
        return .init(serverURL: serverURL, username: stored.account, secret: stored.value)
    }

    func mapped(_ rule: DockerRule) throws -> (String, SecretBytes) {
        let service = Self.cacheService(rule.secret)
        let account = rule.username ?? ""
        // A token secret is the token cache's, with its own expiry: no second copy.
        let keepsCopy = rule.cacheTTL > 0 && config.secrets[rule.secret]?.kind != .token
        if keepsCopy {
            do {
                if let hit = try cache(.session).entries(service: service, account: account).first {
                    Log.logger.debug("docker: cached copy of '\(rule.secret)' (\(hit.value.count) bytes)")
                    return (try username(rule, nil), hit.value)
                }
            } catch let e as SGError {
                Log.logger.warning("docker: password cache unusable (\(e.message)); fetching")
            }
        }
        let fetched = try resolve(try config.secret(rule.secret))
        let user = try username(rule, fetched.username)
        guard keepsCopy else { return (user, fetched.value) }
        do {
            try cache(.session).store(service: service, account: account, value: fetched.value,
                                      expiresAt: WallClock.now.rounded(.down) + Double(rule.cacheTTL))
        } catch let e as SGError {
            Log.logger.warning("docker: cannot cache the password (\(e.message))")
        }
        return (user, fetched.value)
    }

    /// The rule's user name, else the secret's. A registry takes no password without one.
    func username(_ rule: DockerRule, _ fetched: String?) throws -> String {
        if let u = rule.username ?? config.secrets[rule.secret]?.username ?? fetched, !u.isEmpty { return u }
        throw SGError.config("docker rule for \(rule.registry) (\(rule.origin)): no user name; set 'username:' on the rule or on secret '\(rule.secret)'")
    }

    // MARK: store / erase / list

    public func store(_ c: DockerCredentialProtocol.Credential) throws {
        let registry = try Self.registry(c.serverURL)
        if config.docker.rule(for: registry) != nil { return }   // never written to Safeguard
        guard config.docker.storeUnmapped else {
            throw SGError.config("no docker.rules entry maps \(registry), and docker.store-unmapped is off: sg keeps no other registry's password")
        }
        let store = try cache(.persistent)
        let service = Self.storedService(registry)
        // One login per registry, as docker keeps it: a new user name replaces the old one.
        try store.erase(service: service)
        try store.store(service: service, account: c.username, value: c.secret, expiresAt: nil)
    }

    public func erase(_ serverURL: String) throws {
        let registry = try Self.registry(serverURL)
        if let rule = config.docker.rule(for: registry) {
            try cache(.session).erase(service: Self.cacheService(rule.secret))
            return
        }
        guard config.docker.storeUnmapped else { return }
        try cache(.persistent).erase(service: Self.storedService(registry))
    }

    /// Mapped registries with the user name they answer with (no secret is fetched), then the
    /// stored ones.
    public func list() throws -> [(serverURL: String, username: String)] {
        var out = config.docker.rules.map { rule in
            (rule.registry, rule.username ?? config.secrets[rule.secret]?.username ?? "")
        }
        if config.docker.storeUnmapped {
            let prefix = Self.storedService("")
            for (service, account) in try cache(.persistent).services(withPrefix: prefix) {
                let registry = String(service.dropFirst(prefix.count))
                if !out.contains(where: { $0.0 == registry }) { out.append((registry, account)) }
            }
        }
        return out
    }
}
