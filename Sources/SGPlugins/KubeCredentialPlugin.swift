import SGCore
import SGResolver

/// The behaviour of `sg-kube-credential NAME` (docs/plugins.md, docs/config.md `kube:`): the
/// bearer token of a `kube:` entry, answered from sg's caches whenever they hold a fresh one,
/// because kubectl keeps a credential for one process only and so runs the plugin on every
/// command.
///
/// - `token: sg:token/PROFILE`: the profile's user token from the token cache (the keyring),
///   refreshed or renewed by an unattended login only when it has run out; the answer's
///   expiry is the token's.
/// - `token: sg:SECRET` (a password or an API-key field fetched by A2A): kept in the session
///   keyring for `cache-seconds` (default 300) and answered from there; the answer's expiry is
///   the end of that copy, so a long-running client asks again then and picks up a rotation.
///
///     let plugin = KubeCredentialPlugin(config: config, resolve: { try resolver.resolve($0) },
///                                       cache: { try PluginCache.open(.session, config: config.keyring) })
///     let (token, expiresAt) = try plugin.token(for: "prod")
public struct KubeCredentialPlugin {
    public let config: Config
    public let resolve: (SecretReference) throws -> ResolvedSecret
    public let cache: () throws -> PluginCache

    public init(config: Config, resolve: @escaping (SecretReference) throws -> ResolvedSecret,
                cache: @escaping () throws -> PluginCache) {
        self.config = config
        self.resolve = resolve
        self.cache = cache
    }

    public func entry(_ name: String) throws -> KubeEntry {
        guard let e = config.kube.entries[name] else {
            let known = config.kube.entries.keys.sorted()
            throw SGError.config("no kube entry '\(name.prefix(64))' (defined: \(known.isEmpty ? "none" : known.joined(separator: ", "))): add it under 'kube:' (docs/config.md); \(config.readSummary)")
        }
        return e
    }

    /// Is this entry's value kept in the session keyring? Only A2A values are: a token reference
    /// has the token cache already.
    func cacheable(_ e: KubeEntry) -> Bool {
        guard e.cacheSeconds > 0, case .named(let name, _) = e.token else { return false }
        return config.secrets[name]?.kind != .token
    }

    static func cacheService(_ reference: SecretReference) -> String { "sg-kube:" + reference.description }

    public func token(for name: String) throws -> (token: SecretBytes, expiresAt: Double?) {
        let e = try entry(name)
        guard cacheable(e) else {
            let r = try resolve(e.token)
            return (r.value, r.expiresAt)
        }
        let service = Self.cacheService(e.token)
        do {
            if let hit = try cache().entries(service: service, account: e.name).first {
                Log.logger.debug("kube: cached copy of \(e.token) (\(hit.value.count) bytes)")
                return (hit.value, hit.expiresAt)
            }
        } catch let err as SGError {
            Log.logger.warning("kube: token cache unusable (\(err.message)); fetching")
        }
        let fetched = try resolve(e.token)
        let expires = WallClock.now.rounded(.down) + Double(e.cacheSeconds)
        do {
            try cache().store(service: service, account: e.name, value: fetched.value, expiresAt: expires)
        } catch let err as SGError {
            Log.logger.warning("kube: cannot cache the token (\(err.message))")
            return (fetched.value, nil)
        }
        return (fetched.value, expires)
    }
}
