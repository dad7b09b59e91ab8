import SGCore

/// Credentials a tool keeps between runs in the keyring sg already uses: git-credential-sg
/// (`KeyringGitCache`) and the docker and kubectl plugins (`PluginCache`) share this one cache.
/// Items are addressed by `service` + `account` (python-keyring's attributes); the stored secret
/// is `ItemExpiry`'s git form, a one-line header with the expiry, then the value:
/// `sg-git/1 <unix-seconds or 0>\n<value>`. An expired entry is never handed out and is deleted
/// when it is seen; the file keyring also drops every expired item whenever it is opened.
///
/// `.session` holds short-lived copies of fetched secrets: the Secret Service's in-memory
/// `session` collection (never the login keyring), or on the file backend an encrypted keyring in
/// `$XDG_RUNTIME_DIR/sg/<sessionFolder>` (`KeyringSelection.session`). Each tool keeps its own
/// folder name, so the copies it wrote before stay where it looks. `.persistent` is the backend's
/// default place (login collection / `keyring.file` folder), for what a user asked to keep
/// (`git.store-unmapped`, `docker.store-unmapped`).
///
///     let cache = try KeyringCache.open(.session, sessionFolder: "git-session", config: config.keyring)
///     if let hit = try cache.lookup(service: service, account: "deploy") { … hit.value … }
public final class KeyringCache {
    public enum Collection: String, Sendable { case session, persistent }

    /// One stored credential: the account (user name), the secret and when it stops being valid.
    public struct Entry: Sendable {
        public let account: String
        public let value: SecretBytes
        /// Wall-clock seconds; nil means no expiry.
        public let expiresAt: Double?
    }

    public let backend: any KeyringBackend

    public init(backend: any KeyringBackend) { self.backend = backend }

    /// Picks the backend as every sg tool does (SG_KEYRING, keyring.backend, else what answers).
    public static func open(_ collection: Collection, sessionFolder: String, config: KeyringConfig,
                            environment env: [String: String] = Environment.current) throws -> KeyringCache {
        switch collection {
        case .session: return KeyringCache(backend: try KeyringSelection.session(folder: sessionFolder, config: config, environment: env))
        case .persistent: return KeyringCache(backend: try KeyringSelection.backend(config: config, environment: env))
        }
    }

    /// The entry for `account`, or with `account` nil the first entry of `service`.
    public func lookup(service: String, account: String?) throws -> Entry? {
        guard let account else { return try entries(service: service).first }
        return try live(account, try backend.lookup(service: service, account: account), service: service)
    }

    /// The unexpired entries of `service` (of one account when given), in storage order.
    public func entries(service: String, account: String? = nil) throws -> [Entry] {
        try backend.search(attributes: ["service": service], loadSecrets: true).compactMap { item in
            account == nil || item.account == account ? try live(item.account, item.secret, service: service) : nil
        }
    }

    /// Every item whose service name starts with `prefix`, without loading secrets (expired ones
    /// included: nothing is read to tell). The test is on bytes: service names hold URLs.
    public func items(withServicePrefix prefix: String) throws -> [(service: String, account: String)] {
        try backend.search(attributes: [:], loadSecrets: false).compactMap { item in
            item.service.utf8.starts(with: prefix.utf8) ? (item.service, item.account) : nil
        }
    }

    /// Adds or replaces (service, account).
    public func store(service: String, account: String, value: SecretBytes, expiresAt: Double?) throws {
        try backend.store(service: service, account: account, secret: ItemExpiry.packGit(value, expiresAt: expiresAt))
    }

    /// Removes (service, account), or every account's item under `service` when `account` is
    /// nil; returns how many went.
    @discardableResult
    public func erase(service: String, account: String? = nil) throws -> Int {
        if let account { return try backend.delete(service: service, account: account) ? 1 : 0 }
        var n = 0
        for item in try backend.search(attributes: ["service": service], loadSecrets: false) {
            if try backend.delete(service: service, account: item.account) { n += 1 }
        }
        return n
    }

    /// The entry a stored secret holds; nil for an item that is not ours, does not parse, or has
    /// expired (then it is deleted).
    private func live(_ account: String, _ stored: SecretBytes?, service: String) throws -> Entry? {
        guard let stored, let (value, expires) = ItemExpiry.unpackGit(stored) else { return nil }
        if let expires, expires <= WallClock.now {
            try backend.delete(service: service, account: account)
            return nil
        }
        return Entry(account: account, value: value, expiresAt: expires)
    }
}
