import SGCore
import SGKeyring
#if canImport(Glibc)
import Glibc
#endif

/// One stored git credential: the secret, the account (user name) and when it stops being valid.
public struct GitCacheEntry: Sendable {
    public let account: String
    public let value: SecretBytes
    /// Wall-clock seconds; nil means no expiry.
    public let expiresAt: Double?

    public init(account: String, value: SecretBytes, expiresAt: Double?) {
        self.account = account
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// Where git-credential-sg keeps credentials between runs: (service, account) → secret with
/// expiry. Two collections are used: `.session` for the short-lived copies of A2A passwords (the
/// Secret Service's in-memory `session` collection, never the login keyring) and `.persistent`
/// for `git.store-unmapped` (like git-credential-libsecret). Expired entries are never returned.
public protocol GitCredentialCache: AnyObject {
    /// The entry for `account`, or with `account` nil the first entry of `service`.
    func lookup(service: String, account: String?) throws -> GitCacheEntry?
    /// Every unexpired entry of `service`, in storage order.
    func entries(service: String) throws -> [GitCacheEntry]
    /// The services holding items whose name starts with `prefix` (an erase that matches any path).
    func services(withPrefix prefix: String) throws -> [String]
    /// Adds or replaces (service, account).
    func store(service: String, account: String, value: SecretBytes, expiresAt: Double?) throws
    /// Removes (service, account), or every account of `service` when `account` is nil; returns how many.
    @discardableResult
    func erase(service: String, account: String?) throws -> Int
}

public enum GitCacheCollection: String, Sendable {
    case session, persistent
}

/// The cache on SGKeyring's backends: items are `service` + `account` (python-keyring's
/// attributes), and the stored secret is a one-line header carrying the expiry, then the value:
/// `sg-git/1 <unix-seconds or 0>\n<value>` (SGKeyring's `ItemExpiry`). Expired items are deleted
/// when next seen, and the file keyring drops every expired item whenever it is opened.
///
/// `.session` is the Secret Service's in-memory `session` collection (never the login keyring),
/// or, on the file backend, an encrypted keyring in `$XDG_RUNTIME_DIR/sg/git-session` (tmpfs,
/// gone at logout; the normal keyring folder when there is no runtime folder). `.persistent` is
/// the backend's default place (login collection / `keyring.file` folder).
///
///     let cache = try KeyringGitCache.open(.session, config: config.keyring)
public final class KeyringGitCache: GitCredentialCache {
    public let backend: any KeyringBackend

    public init(backend: any KeyringBackend) { self.backend = backend }

    /// Picks the backend as every sg tool does (SG_KEYRING, keyring.backend, else what answers).
    public static func open(_ collection: GitCacheCollection, config: KeyringConfig,
                            environment env: [String: String] = Environment.current) throws -> KeyringGitCache {
        switch collection {
        case .session: return KeyringGitCache(backend: try KeyringSelection.session(folder: "git-session", config: config, environment: env))
        case .persistent: return KeyringGitCache(backend: try KeyringSelection.backend(config: config, environment: env))
        }
    }

    static func pack(_ value: SecretBytes, expiresAt: Double?) -> SecretBytes {
        ItemExpiry.packGit(value, expiresAt: expiresAt)
    }

    /// nil for an item that is not ours or does not parse.
    static func unpack(_ stored: SecretBytes) -> (value: SecretBytes, expiresAt: Double?)? {
        ItemExpiry.unpackGit(stored)
    }

    private func live(_ account: String, _ stored: SecretBytes?, service: String) throws -> GitCacheEntry? {
        guard let stored, let (value, expires) = KeyringGitCache.unpack(stored) else { return nil }
        if let expires, expires <= WallClock.now {
            try backend.delete(service: service, account: account)
            return nil
        }
        return GitCacheEntry(account: account, value: value, expiresAt: expires)
    }

    public func lookup(service: String, account: String?) throws -> GitCacheEntry? {
        if let account {
            return try live(account, try backend.lookup(service: service, account: account), service: service)
        }
        return try entries(service: service).first
    }

    public func entries(service: String) throws -> [GitCacheEntry] {
        try backend.search(attributes: ["service": service], loadSecrets: true).compactMap {
            try live($0.account, $0.secret, service: service)
        }
    }

    public func services(withPrefix prefix: String) throws -> [String] {
        // Every sg-visible item, without secrets; the prefix test is on bytes (service names hold URLs).
        var seen: Set<String> = []
        return try backend.search(attributes: [:], loadSecrets: false).compactMap { item in
            item.service.utf8.starts(with: prefix.utf8) && seen.insert(item.service).inserted ? item.service : nil
        }
    }

    public func store(service: String, account: String, value: SecretBytes, expiresAt: Double?) throws {
        try backend.store(service: service, account: account, secret: KeyringGitCache.pack(value, expiresAt: expiresAt))
    }

    public func erase(service: String, account: String?) throws -> Int {
        if let account { return try backend.delete(service: service, account: account) ? 1 : 0 }
        var n = 0
        for item in try backend.search(attributes: ["service": service], loadSecrets: false) {
            if try backend.delete(service: service, account: item.account) { n += 1 }
        }
        return n
    }
}
