import SGCore
import SGKeyring

/// What the plugins keep between runs, in the keyring sg already uses: items addressed by
/// service + account, each stored with its expiry (`ItemExpiry`'s header), so that an expired
/// copy is never handed out and the file keyring drops it on its next open.
///
/// `.session` holds short-lived copies of fetched secrets (docker rules' `cache-ttl`, kube
/// entries' `cache-seconds`); `.persistent` holds what `docker login` stored for a registry no
/// rule maps (`docker.store-unmapped`).
///
///     let cache = try PluginCache.open(.session, config: config.keyring)
///     if let hit = try cache.lookup(service: "sg-kube:prod-token", account: "") { … hit.value … }
public final class PluginCache {
    public enum Collection: Sendable { case session, persistent }

    public struct Entry: Sendable {
        public let account: String
        public let value: SecretBytes
        /// Wall-clock seconds; nil means no expiry.
        public let expiresAt: Double?
    }

    let backend: any KeyringBackend

    public init(backend: any KeyringBackend) { self.backend = backend }

    public static func open(_ collection: Collection, config: KeyringConfig,
                            environment env: [String: String] = Environment.current) throws -> PluginCache {
        switch collection {
        case .session: return PluginCache(backend: try KeyringSelection.session(folder: "plugin-session", config: config, environment: env))
        case .persistent: return PluginCache(backend: try KeyringSelection.backend(config: config, environment: env))
        }
    }

    /// The unexpired entries of `service` (of one account when given), oldest first; expired
    /// ones are deleted as they are seen.
    public func entries(service: String, account: String? = nil) throws -> [Entry] {
        var live: [Entry] = []
        let items = try backend.search(attributes: ["service": service], loadSecrets: true)
        for item in items where account == nil || item.account == account {
            guard let stored = item.secret, let (value, expires) = ItemExpiry.unpackGit(stored) else { continue }
            if let expires, expires <= WallClock.now {
                try backend.delete(service: service, account: item.account)
                continue
            }
            live.append(Entry(account: item.account, value: value, expiresAt: expires))
        }
        return live
    }

    public func store(service: String, account: String, value: SecretBytes, expiresAt: Double?) throws {
        try backend.store(service: service, account: account, secret: ItemExpiry.packGit(value, expiresAt: expiresAt))
    }

    /// Deletes every account's item under `service`; returns how many went.
    @discardableResult
    public func erase(service: String) throws -> Int {
        var n = 0
        for item in try backend.search(attributes: ["service": service], loadSecrets: false) {
            if try backend.delete(service: service, account: item.account) { n += 1 }
        }
        return n
    }

    /// Every service name under `prefix`, once each, without loading secrets.
    public func services(withPrefix prefix: String) throws -> [(service: String, account: String)] {
        try backend.search(attributes: [:], loadSecrets: false).compactMap { item in
            item.service.utf8.starts(with: prefix.utf8) ? (item.service, item.account) : nil
        }
    }
}
