import SGCore
import SGResolver

/// The behaviour of `git-credential-sg get|store|erase` (docs/config.md `git:`).
///
/// - A request that `git.rules` maps (or that git's `credential.<url>.sgSecret` maps to a secret
///   sg's config ties to git for that URL: a rule for it or its `git-urls`) is answered from the
///   secret: from the session cache while its copy is fresh (`cache-ttl`), else fetched by A2A
///   and cached. `erase` drops the cached copy; `store` is a
///   no-op (nothing is ever written to Safeguard).
/// - Any other request gets no answer (git asks its next helper), unless `git.store-unmapped`
///   is on: then store/get/erase keep it in the persistent collection as git-credential-libsecret does.
///
///     let helper = GitCredentialHelper(config: config, resolve: { try resolver.resolve(secret: $0) },
///                                      cache: { try KeyringGitCache.open($0, config: config.keyring) })
///     if let answer = try helper.run(.get, request) { ...write answer.encoded()... }
public struct GitCredentialHelper {
    public enum Action: Sendable {
        case get, store, erase
        /// git passes one operation word; others are ignored for forward compatibility.
        public init?(_ word: String) {
            switch word {
            case "get": self = .get
            case "store": self = .store
            case "erase": self = .erase
            default: return nil
            }
        }
    }

    public let config: Config
    public let rules: GitRules
    public let resolve: (SecretSpec) throws -> ResolvedSecret
    public let cache: (GitCacheCollection) throws -> any GitCredentialCache
    public let gitConfigSecret: (String) -> String?

    public init(config: Config,
                resolve: @escaping (SecretSpec) throws -> ResolvedSecret,
                cache: @escaping (GitCacheCollection) throws -> any GitCredentialCache,
                gitConfigSecret: @escaping (String) -> String? = { GitConfigProbe.sgSecret(url: $0) }) {
        self.config = config
        self.rules = GitRules(config.git, secrets: config.secrets)
        self.resolve = resolve
        self.cache = cache
        self.gitConfigSecret = gitConfigSecret
    }

    /// Where a request goes.
    public struct Target: Sendable {
        public let secret: String
        public let username: String?
        public let ttl: Int

        init(_ m: GitRules.Match) {
            secret = m.rule.secret
            username = m.username
            ttl = m.rule.cacheTTL
        }
    }

    /// The secret a request maps to. git's `credential.<url>.sgSecret` may choose a secret, but
    /// only one that sg's own config ties to git for this URL (`GitRules.match(_:secret:)`): git
    /// config is also written by repositories and `GIT_CONFIG_*`, which must not be able to hand
    /// any configured secret to any host. Otherwise the best `git.rules` match answers.
    public func target(for request: GitCredential) throws -> Target? {
        let ruled = rules.match(request)
        // Plain http needs a rule that says allow-http; a git setting alone does not open it.
        guard request.protocol?.lowercased() == "https", let url = request.url, let name = gitConfigSecret(url) else {
            return ruled.map(Target.init)
        }
        if let chosen = rules.match(request, secret: name) { return Target(chosen) }
        if ruled == nil, config.secrets[name] == nil { throw SGError.unknownSecret(name) }
        Log.logger.warning("git config's credential.sgSecret for \(url) names '\(name)', which sg's config does not give to git for this URL (add the URL to the secret's git-urls); ignored")
        return ruled.map(Target.init)
    }

    /// Runs one action; a `get` answer is returned for the caller to write.
    public func run(_ action: Action, _ request: GitCredential) throws -> GitCredential.Answer? {
        if let target = try target(for: request) {
            switch action {
            case .get: return try getMapped(target)
            case .erase: try eraseMapped(target, request); return nil
            case .store: return nil   // never written to Safeguard; the cache is filled on get
            }
        }
        guard config.git.storeUnmapped else { return nil }
        switch action {
        case .get: return try getStored(request)
        case .store: try storeUnmapped(request); return nil
        case .erase: try eraseStored(request); return nil
        }
    }

    // MARK: mapped hosts

    static func cacheService(_ secret: String) -> String { "sg-git:" + secret }

    func getMapped(_ target: Target) throws -> GitCredential.Answer {
        let service = GitCredentialHelper.cacheService(target.secret)
        let account = target.username ?? ""
        if target.ttl > 0 {
            do {
                if let hit = try cache(.session).lookup(service: service, account: account) {
                    Log.logger.debug("git: cached copy of '\(target.secret)' (\(hit.value.count) bytes)")
                    return GitCredential.Answer(username: target.username, password: hit.value,
                                                passwordExpiryUTC: hit.expiresAt.flatMap { GitCredential.expiry(seconds: $0) })
                }
            } catch let e as SGError {
                Log.logger.warning("git: password cache unusable (\(e.message)); fetching")
            }
        }
        let spec = try config.secret(target.secret)
        let fetched = try resolve(spec)
        let username = target.username ?? fetched.username
        let answer = GitCredential.Answer(username: username, password: fetched.value)
        _ = try answer.encoded()   // refuse CR/LF/NUL before anything is cached
        guard target.ttl > 0 else { return answer }
        let expires = WallClock.now.rounded(.down) + Double(target.ttl)
        do {
            try cache(.session).store(service: service, account: account, value: fetched.value, expiresAt: expires)
        } catch let e as SGError {
            Log.logger.warning("git: cannot cache the password (\(e.message))")
            return answer
        }
        return GitCredential.Answer(username: username, password: fetched.value, passwordExpiryUTC: GitCredential.expiry(seconds: expires))
    }

    func eraseMapped(_ target: Target, _ request: GitCredential) throws {
        let store = try cache(.session)
        let service = GitCredentialHelper.cacheService(target.secret)
        // A copy that differs from the rejected password is newer (another process refreshed
        // it after a rotation): keep it.
        if let rejected = request.password,
           let cached = try store.lookup(service: service, account: target.username ?? ""),
           !cached.value.constantTimeEquals(rejected) {
            return
        }
        try store.erase(service: service, account: nil)
    }

    // MARK: unmapped hosts (git.store-unmapped)

    /// libsecret keys items by protocol, host (with port) and path; so does this service name.
    static func storedService(_ r: GitCredential) -> String? {
        guard let p = r.protocol, let h = r.host, !p.isEmpty else { return nil }
        return "git:\(p)://\(h.lowercased())/\(r.path ?? "")"
    }

    func getStored(_ request: GitCredential) throws -> GitCredential.Answer? {
        guard let service = GitCredentialHelper.storedService(request) else { return nil }
        guard let e = try cache(.persistent).lookup(service: service, account: request.username) else { return nil }
        let (password, refresh) = GitCredentialHelper.unpack(e.value)
        return GitCredential.Answer(username: e.account, password: password,
                                    passwordExpiryUTC: e.expiresAt.flatMap { GitCredential.expiry(seconds: $0) }, oauthRefreshToken: refresh)
    }

    func storeUnmapped(_ request: GitCredential) throws {
        guard let service = GitCredentialHelper.storedService(request),
              let user = request.username, let password = request.password else { return }
        // A `url=` value can carry %0A or %00 in its user info; such a value could not be given
        // back to git, and LF is the separator of the stored value (`pack`).
        if password.containsLineBreakOrNUL || request.oauthRefreshToken?.containsLineBreakOrNUL == true {
            throw SGError.malformedInput("the password or refresh token contains a line break or NUL; not stored")
        }
        var expires: Double?
        if let e = request.passwordExpiryUTC, e > 0 {
            if Double(e) <= WallClock.now { return }   // already expired: git would skip it too
            expires = Double(e)
        }
        try cache(.persistent).store(service: service, account: user,
                                     value: GitCredentialHelper.pack(password, request.oauthRefreshToken), expiresAt: expires)
    }

    /// Erases every stored credential the request matches, as git-credential-store does: an
    /// attribute the request leaves out matches any value, so `erase` without a path also drops
    /// the credentials stored with one (`credential.useHttpPath`), and without a user name every
    /// account's.
    func eraseStored(_ request: GitCredential) throws {
        // An empty pattern would mean "erase everything"; like libsecret, refuse it.
        guard let service = GitCredentialHelper.storedService(request), !(request.host ?? "").isEmpty else { return }
        let store = try cache(.persistent)
        var services = [service]
        if request.path == nil {
            // Without a path, `service` is "git:proto://host/": every path of the host starts so.
            services += try store.services(withPrefix: service).filter { $0 != service }
        }
        for service in services {
            for e in try store.entries(service: service) where request.username == nil || e.account == request.username {
                // Only entries holding the rejected password go ("does not erase a password distinct from input").
                if let rejected = request.password, !GitCredentialHelper.unpack(e.value).password.constantTimeEquals(rejected) { continue }
                try store.erase(service: service, account: e.account)
            }
        }
    }

    /// The stored value: the password, then LF and the refresh token when there is one. Neither
    /// holds LF or NUL (`storeUnmapped` refuses them), so the split is unambiguous, and
    /// the value holds no NUL: the Secret Service store takes it as a C string and would cut it
    /// there, dropping the token.
    static func pack(_ password: SecretBytes, _ refresh: SecretBytes?) -> SecretBytes {
        guard let refresh else { return password }
        let b = SecretBuffer(capacity: password.count + refresh.count + 1)
        b.append(password)
        b.append([0x0A])
        b.append(refresh)
        return b.take()
    }

    /// Splits at the first LF, or at a NUL for values earlier versions stored (file keyring only:
    /// the Secret Service had already cut those at the NUL).
    static func unpack(_ value: SecretBytes) -> (password: SecretBytes, refresh: SecretBytes?) {
        value.withUnsafeBytes { raw in
            guard let split = raw.firstIndex(where: { $0 == 0x0A || $0 == 0 }) else { return (SecretBytes(bytes: raw), nil) }
            return (SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: raw[..<split])),
                    SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: raw[(split + 1)...])))
        }
    }
}
