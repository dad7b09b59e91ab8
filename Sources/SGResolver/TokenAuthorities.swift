import SGCore
import SGIdentity
import SGKeyring
import SGSafeguard
import SGTransport

/// The token authority of a profile: who can log in, refresh, and log out for it.
public enum TokenAuthorities {
    public static func make(for profile: Profile, prompter: any Prompter = TerminalPrompt()) -> any TokenLoginAuthority {
        switch profile {
        case .safeguard(let p): return SafeguardAuthority(profile: p, prompter: prompter)
        case .identity(let p): return IdentityAuthority(profile: p, prompter: prompter)
        }
    }
}

/// Safeguard rSTS logins as a token authority. Safeguard user tokens have no refresh token, so
/// an expired one is renewed by an unattended login when the profile allows one (certificate,
/// or password/PKCE with a `password:` source), else the user runs `sg-token login`.
public final class SafeguardAuthority: TokenLoginAuthority, @unchecked Sendable {
    public let profile: SafeguardProfile
    let prompter: any Prompter

    public init(profile: SafeguardProfile, prompter: any Prompter) {
        self.profile = profile
        self.prompter = prompter
    }

    /// The login method used when none is asked: the profile's `login:`, else certificate for a
    /// profile with a client certificate and no user, else PKCE.
    public var defaultMethod: SafeguardLoginMethod {
        if let m = profile.loginMethod.flatMap(SafeguardLoginMethod.init(rawValue:)) { return m }
        if profile.username == nil && profile.client != nil { return .certificate }
        return .pkce
    }

    /// The method of the login in progress (`sg-token login --method`), else the default.
    private var chosenMethod: SafeguardLoginMethod?
    var method: SafeguardLoginMethod { chosenMethod ?? defaultMethod }

    public var serviceName: String { TokenKey.safeguardService }
    /// `certificate` for certificate logins, else the user: the keyring item's postfix.
    public var postfix: String {
        method == .certificate ? TokenKey.certificatePostfix : (profile.username ?? TokenKey.certificatePostfix)
    }

    public func refresh(_ token: ArkToken) throws -> ArkToken {
        throw SGError.denied("Safeguard user tokens cannot be refreshed")
    }

    public func loginUnattended() throws -> ArkToken? {
        switch defaultMethod {
        case .certificate:
            return try login(.certificate, prompter: NoPrompt())
        case .password, .pkce:
            guard profile.password != nil else { return nil }
            return try login(defaultMethod, prompter: NoPrompt())
        case .token:
            return nil
        }
    }

    public func login(method: String?) throws -> ArkToken {
        switch method {
        case nil: chosenMethod = nil
        case "pkce": chosenMethod = .pkce
        case "password": chosenMethod = .password
        case "certificate": chosenMethod = .certificate
        default: throw SGError.usage("--method \(method!) is not for a Safeguard profile (pkce, password, certificate)")
        }
        return try login(self.method, prompter: prompter)
    }

    func login(_ method: SafeguardLoginMethod, prompter: any Prompter) throws -> ArkToken {
        let client = try SafeguardLogin(profile: profile, prompter: prompter)
        let token = try client.login(method)
        return ArkToken(token: token.token, username: token.username ?? (method == .certificate ? "certificate" : profile.username),
                        endpoint: profile.appliances.first?.baseURL, tokenType: .token, authMethod: .other,
                        expiresIn: Instant(timeIntervalSince1970: token.expiresAt),
                        metadata: [("method", .text(method.rawValue)), ("provider", .text(token.provider ?? ""))])
    }

    /// Server-side logout of a cached token (best effort): rSTS revokes it.
    public func logout(_ token: ArkToken) -> Bool {
        guard let client = try? SafeguardLogin(profile: profile, prompter: NoPrompt()) else { return false }
        return client.logout(token.token)
    }
}

/// CyberArk Identity logins as a token authority, with Ark's item naming so ark-sdk-python and
/// sg share one login. A value: unlike `SafeguardAuthority` it keeps nothing between calls (the
/// method is given to each login), so `TokenAuthorities.make` builds it memberwise.
public struct IdentityAuthority: TokenLoginAuthority, Sendable {
    public let profile: IdentityProfile
    let prompter: any Prompter

    /// A profile with a service user and no user logs in as the service user.
    var usesServiceUser: Bool { profile.username == nil && profile.serviceUser != nil }

    public var serviceName: String { TokenKey.identityService }
    public var postfix: String {
        usesServiceUser ? (profile.serviceUser?.name ?? "") : (profile.username ?? profile.serviceUser?.name ?? "")
    }

    public func refresh(_ token: ArkToken) throws -> ArkToken {
        let client = try IdentityClient(profile: profile, prompter: NoPrompt())
        let refreshed = try client.refresh(identityToken(from: token))
        return arkToken(refreshed)
    }

    public func loginUnattended() throws -> ArkToken? {
        if usesServiceUser || (profile.username == nil && profile.serviceUser != nil) {
            return try login(method: "identity-service", prompter: NoPrompt())
        }
        if profile.password != nil && (profile.mechanism == nil || profile.otp != nil) {
            // Password-only users log in without a person, and so do users whose second factor the
            // profile answers (`mechanism:` with an `otp:` source, e.g. an OATH code command);
            // any other MFA needs a person.
            return try? login(method: "identity", prompter: NoPrompt())
        }
        return nil
    }

    public func login(method: String?) throws -> ArkToken {
        try login(method: method, prompter: prompter)
    }

    /// sg does not revoke CyberArk Identity tokens on the tenant: `sg-token logout` forgets them.
    public func logout(_ token: ArkToken) -> Bool { false }

    func login(method: String?, prompter: any Prompter) throws -> ArkToken {
        let client = try IdentityClient(profile: profile, prompter: prompter)
        switch method ?? (usesServiceUser ? "identity-service" : "identity") {
        case "identity":
            // Without a terminal nobody can type a password: refuse before contacting the tenant,
            // unless a desktop is there, where an external-IdP user logs in in the browser.
            if profile.password == nil && !prompter.isInteractive && !client.browser.isAvailable {
                throw SGError.denied("Identity login for profile \(profile.name): no terminal to ask for the password (or to log in at an identity provider) and no 'password:' source in the profile")
            }
            return arkToken(try client.login())
        case "identity-service": return arkToken(try client.loginServiceUser())
        default: throw SGError.usage("--method \(method!) is not for a CyberArk Identity profile (identity, identity-service)")
        }
    }

    func arkToken(_ t: IdentityToken) -> ArkToken {
        ArkToken(token: t.token, username: t.username, endpoint: t.endpoint, tokenType: .jwt,
                 authMethod: t.authMethod == .identity ? .identity : .identityServiceUser,
                 expiresIn: Instant(timeIntervalSince1970: t.expiresAt), refreshToken: t.refreshToken,
                 metadata: t.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    func identityToken(from t: ArkToken) -> IdentityToken {
        var metadata: [String: JSONValue] = [:]
        for (k, v) in t.metadata { metadata[k] = v }
        return IdentityToken(token: t.token, refreshToken: t.refreshToken, username: t.username ?? profile.username ?? "",
                             endpoint: t.endpoint ?? profile.tenantURL, expiresAt: t.expiresIn?.timeIntervalSince1970 ?? 0,
                             authMethod: t.authMethod == .identityServiceUser ? .identityServiceUser : .identity, metadata: metadata)
    }
}

/// The token cache over the configured keyring: the one way a tool reaches a profile's token,
/// with the profile's authority (`TokenAuthorities.make`) to refresh or renew it. sg-token's
/// subcommands and `sg:token/PROFILE` in every tool both go through it.
///
///     let token = try TokenAccess(config: config).get(profile)
public struct TokenAccess {
    public let choice: KeyringSelection.Choice
    public let backend: any KeyringBackend
    public let cache: TokenCache

    /// `environment` is read once here, for the keyring choice and the lock folder alike.
    public init(config: Config, environment env: [String: String] = Environment.current) throws {
        choice = try KeyringSelection.choose(config: config.keyring, environment: env)
        backend = try KeyringSelection.make(choice, config: config.keyring, environment: env)
        cache = TokenCache(store: TokenStore(backend: backend),
                           lockDirectory: TokenCache.defaultLockDirectory(config: config.keyring, environment: env))
    }

    /// A valid token: cached, else refreshed or renewed by an unattended login, else
    /// `SGError.loginRequired`. `prompter` is the authority's, for the steps that may ask.
    public func get(_ profile: Profile, prompter: any Prompter = NoPrompt()) throws -> ArkToken {
        try cache.get(profile: profile, authority: TokenAuthorities.make(for: profile, prompter: prompter))
    }
}

/// `sg:token/PROFILE` for every tool.
public final class CachedTokenSource: TokenSource, @unchecked Sendable {
    let config: Config

    public init(config: Config) { self.config = config }

    public func token(profile: Profile) throws -> ResolvedSecret {
        let token = try TokenAccess(config: config).get(profile)
        return ResolvedSecret(value: token.token, username: token.username,
                              expiresAt: token.expiresIn?.timeIntervalSince1970, kind: .token)
    }
}
