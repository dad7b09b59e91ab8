import SGCore
import SGKeyring

/// What the plugins keep between runs: SGKeyring's `KeyringCache`, with short-lived copies of
/// fetched secrets (docker rules' `cache-ttl`, kube entries' `cache-seconds`) in the
/// `plugin-session` folder and what `docker login` stored for a registry no rule maps
/// (`docker.store-unmapped`) in the persistent collection.
///
///     let cache = try PluginCache.open(.session, config: config.keyring)
///     if let hit = try cache.entries(service: "sg-kube:prod-token", account: "prod").first { … hit.value … }
public enum PluginCache {
    public static let sessionFolder = "plugin-session"

    public static func open(_ collection: KeyringCache.Collection, config: KeyringConfig,
                            environment env: [String: String] = Environment.current) throws -> KeyringCache {
        try KeyringCache.open(collection, sessionFolder: sessionFolder, config: config, environment: env)
    }
}
