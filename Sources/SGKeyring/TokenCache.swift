import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Whoever can renew a profile's token: the Safeguard rSTS client or the CyberArk Identity
/// client. sg-token and the resolver pass one to `TokenCache.get`; the keyring never talks to a
/// server itself.
public protocol TokenAuthority {
    /// `isp` for CyberArk Identity, `sg-safeguard` for Safeguard (see `TokenKey`).
    var serviceName: String { get }
    /// The login name the item is keyed by (`TokenKey.postfix`): the user, the service user,
    /// or `certificate`.
    var postfix: String { get }
    /// A fresh token from the refresh token of `token`. Throw `SGError.denied` when the server
    /// refuses it (the cache then tries an unattended login).
    func refresh(_ token: ArkToken) throws -> ArkToken
    /// A new token without a person (certificate, service user, password from a source), or
    /// nil when this profile needs someone at the keyboard.
    func loginUnattended() throws -> ArkToken?
}

/// Get a valid token for a profile: from the keyring, else refreshed, else by an unattended
/// login, else `SGError.loginRequired` (exit 77, "run: sg-token login -p PROFILE").
///
/// Refresh and login run under a per-item cross-process lock (flock on
/// `$XDG_RUNTIME_DIR/sg/<item>.lock`, or `<keyring folder>/locks/` without a runtime dir), and
/// the cache is read again once the lock is held, so 20 cron jobs starting together log in
/// once and the other 19 use that token.
///
///     let cache = TokenCache(store: TokenStore(backend: backend), lockDirectory: TokenCache.defaultLockDirectory())
///     let token = try cache.get(profile: "ark", authority: identityClient)
public final class TokenCache {
    public let store: TokenStore
    public let lockDirectory: String
    /// Where the ark SDK keeps its own file cache (read-only import for Identity profiles).
    public var arkFileCache = ArkFileCache()
    /// Seconds a caller waits for another process's login before giving up.
    public var lockTimeout: Double = 120
    /// A token is used only if it is valid for at least this long (Ark's refresh grace).
    public var margin: Double = ArkExpiry.graceSeconds

    public init(store: TokenStore, lockDirectory: String) {
        self.store = store
        self.lockDirectory = lockDirectory
    }

    /// `$XDG_RUNTIME_DIR/sg`, else `<keyring file folder>/locks`.
    public static func defaultLockDirectory(config: KeyringConfig = KeyringConfig(),
                                            environment env: [String: String] = Environment.current) -> String {
        if let r = env["XDG_RUNTIME_DIR"], r.hasPrefix("/"), FileSafety.exists(r) { return r + "/sg" }
        return FileKeyring.defaultDirectory(config: config, environment: env) + "/locks"
    }

    public func key(profile: String, authority: any TokenAuthority) -> TokenKey {
        TokenKey(serviceName: authority.serviceName, postfix: authority.postfix, account: profile)
    }

    /// A token valid for at least `margin` seconds. `profile` is the item's account: the
    /// profile name (for Identity profiles, `IdentityProfile.arkProfileName`).
    public func get(profile: String, authority: any TokenAuthority) throws -> ArkToken {
        let key = key(profile: profile, authority: authority)
        if let token = try store.load(key), token.isValid(at: store.now(), margin: margin) { return token }

        let lock = try FileLock.acquire(try lockPath(for: key), timeout: lockTimeout)
        defer { lock.unlock() }
        // Someone may have refreshed or logged in while we waited.
        let current = try store.load(key)
        if let current, current.isValid(at: store.now(), margin: margin) { return current }

        if let current, current.hasRefreshToken {
            do {
                let fresh = try authority.refresh(current)
                try store.save(fresh, for: key)
                return fresh
            } catch let e as SGError {
                switch e {
                case .denied, .loginRequired: break   // the refresh token is dead: log in again
                default:
                    // The server is unreachable: a token that has not quite expired still works.
                    if current.isValid(at: store.now(), margin: 0) { return current }
                    throw e
                }
            }
        }
        if let token = try authority.loginUnattended() {
            try store.save(token, for: key)
            return token
        }
        throw SGError.loginRequired(profile: profile)
    }

    /// Stores a token a person logged in for (`sg-token login`).
    public func put(_ token: ArkToken, profile: String, authority: any TokenAuthority) throws {
        try store.save(token, for: key(profile: profile, authority: authority))
    }

    func lockPath(for key: TokenKey) throws -> String {
        try PrivateFiles.ensurePrivateDirectory(lockDirectory)
        let safe = String(key.description.map { $0.isLetter || $0.isNumber || "@._-".contains($0) ? $0 : "_" })
        // Long names (many @ and dots) stay unique and within NAME_MAX.
        let name = safe.count > 120 ? String(safe.prefix(100)) + "-" + String(fnv1a(key.description), radix: 16) : safe
        return lockDirectory + "/token-" + name + ".lock"
    }
}

/// A stable 64-bit hash (FNV-1a) for file names; Swift's `hashValue` changes per process.
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf29ce484222325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return h
}

/// An authority that can also log a person in (`sg-token login`).
public protocol TokenLoginAuthority: TokenAuthority {
    /// Logs in with `method` (pkce, password, certificate, identity, identity-service; nil: the
    /// profile's default), asking on the terminal where needed.
    func login(method: String?) throws -> ArkToken
    /// Revokes `token` on the server, best effort; false when it was not revoked (or the
    /// authority has no server-side logout).
    func logout(_ token: ArkToken) -> Bool
}

extension TokenCache {
    /// `get` for a config profile. A valid token under any of the profile's
    /// `TokenKey.candidates` is used as it is (a person may have logged in with another method
    /// than the profile's default, e.g. `sg-token login --method certificate`); otherwise the
    /// authority refreshes or renews its own item, and with no authority login is required.
    public func get(profile: Profile, authority: (any TokenAuthority)?) throws -> ArkToken {
        let account = TokenReport.account(of: profile)
        if let t = try store.firstValid(TokenKey.candidates(for: profile), margin: margin) { return t }
        if case .identity = profile {
            // A login the ark SDK cached in its own file (no Secret Service): import it, read-only.
            for key in TokenKey.candidates(for: profile) {
                if let t = arkFileCache.load(service: key.service, account: key.account), t.isValid(at: store.now(), margin: margin) {
                    try? store.save(t, for: key)
                    return t
                }
            }
        }
        if let authority { return try get(profile: account, authority: authority) }
        throw SGError.loginRequired(profile: profile.name)
    }
}
