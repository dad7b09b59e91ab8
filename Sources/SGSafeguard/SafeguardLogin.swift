import SGCore
import SGTransport

/// What a login presents, PySafeguard-style: one value per strategy.
public enum SafeguardCredentials: Sendable {
    /// Resource-owner password grant (often disabled on appliances: then use `.pkce`).
    case password(username: String, password: SecretBytes, provider: String?)
    /// Non-interactive PKCE with an optional one-time code, fetched only if the appliance asks.
    case pkce(username: String, password: SecretBytes, provider: String?, otp: @Sendable (_ message: String?) throws -> SecretBytes)
    /// The profile's client certificate (`client_credentials`).
    case certificate(provider: String?)
    /// An existing user token, validated against the appliance.
    case token(SecretBytes)
}

/// Logs a user in to Safeguard the way the profile says, asking for what config does not give.
///
/// Password: the profile's `password:` source, else the terminal, else `SGError.loginRequired`.
/// One-time code (MFA): the profile's `otp:` source, else the terminal, else `SGError.loginRequired`.
///
///     let login = try SafeguardLogin(profile: profile)
///     let token = try login.login(.pkce)          // UserToken
///     try login.tokenLifetimeRemaining(token.token)
///     login.logout(token.token)
public final class SafeguardLogin: Sendable {
    public let profile: SafeguardProfile
    public let rsts: RSTSClient
    public let prompter: any Prompter

    public init(profile: SafeguardProfile, http: HTTPClient? = nil, prompter: any Prompter = TerminalPrompt()) throws {
        self.profile = profile
        self.rsts = try RSTSClient(profile: profile, http: http)
        self.prompter = prompter
    }

    /// The method `sg-token login` uses when none is given: the profile's `login:`, else PKCE.
    public var defaultMethod: SafeguardLoginMethod {
        profile.loginMethod.flatMap { SafeguardLoginMethod(rawValue: $0.lowercased()) } ?? .pkce
    }

    /// Logs in with `method`, taking user name, password and code from the profile or the terminal.
    public func login(_ method: SafeguardLoginMethod? = nil) throws -> UserToken {
        switch method ?? defaultMethod {
        case .certificate:
            return try login(.certificate(provider: nil))
        case .password:
            let user = try username()
            return try login(.password(username: user, password: try password(for: user), provider: profile.provider))
        case .pkce:
            let user = try username()
            let pw = try password(for: user)
            return try login(.pkce(username: user, password: pw, provider: profile.provider, otp: { [self] message in
                try oneTimeCode(message: message)
            }))
        case .token:
            throw SGError.usage("a token login needs the token: use login(existingTokenFrom:)")
        }
    }

    /// Logs in with explicit credentials.
    public func login(_ credentials: SafeguardCredentials) throws -> UserToken {
        switch credentials {
        case .password(let user, let pw, let provider):
            let p = rsts.resolveProvider(provider ?? profile.provider)
            let sts = try rsts.passwordGrant(username: user, password: pw, provider: p)
            return try rsts.loginResponse(stsAccessToken: sts, method: .password, provider: p.id, username: user)
        case .pkce(let user, let pw, let provider, let otp):
            let p = rsts.resolveProvider(provider ?? profile.provider)
            let sts = try rsts.pkceGrant(username: user, password: pw, provider: p, otp: otp)
            return try rsts.loginResponse(stsAccessToken: sts, method: .pkce, provider: p.id, username: user)
        case .certificate(let provider):
            let p = provider.map { rsts.resolveProvider($0) } ?? IdentityProvider(id: "certificate")
            let sts = try rsts.certificateGrant(provider: p)
            return try rsts.loginResponse(stsAccessToken: sts, method: .certificate, provider: p.id)
        case .token(let token):
            return try validate(token)
        }
    }

    /// Accepts a token from a source (`{env: SPP_TOKEN}`...) after the appliance confirmed it.
    public func login(existingTokenFrom source: SecretSource) throws -> UserToken {
        let token = try source.resolve(what: "user token of profile \(profile.name)")
        guard !token.isEmpty else { throw SGError.loginRequired(profile: profile.name) }
        return try validate(token)
    }

    /// Checks `token` against the appliance; `SGError.loginRequired` when it is expired or revoked.
    public func validate(_ token: SecretBytes) throws -> UserToken {
        let minutes = try rsts.tokenLifetimeRemaining(token)
        if let minutes, minutes <= 0 { throw SGError.loginRequired(profile: profile.name) }
        return UserToken(token: token, expiresAt: WallClock.now + Double(minutes ?? 10) * 60, username: profile.username,
                         provider: nil, method: .token, appliance: profile.appliances.first?.description ?? "")
    }

    /// Minutes left on `token` (nil when the appliance does not say); throws `loginRequired` when rejected.
    public func tokenLifetimeRemaining(_ token: SecretBytes) throws -> Int? {
        try rsts.tokenLifetimeRemaining(token)
    }

    /// Ends the token's session, best effort.
    @discardableResult
    public func logout(_ token: SecretBytes) -> Bool { rsts.logout(token) }

    // MARK: where the inputs come from

    func username() throws -> String {
        if let u = profile.username, !u.isEmpty { return u }
        guard prompter.isInteractive else {
            throw SGError.config("profile \(profile.name) has no 'username:' and there is no terminal to ask on")
        }
        let u = try prompter.readLine("Safeguard user name: ")
        guard !u.isEmpty else { throw SGError.usage("no user name given") }
        return u
    }

    func password(for user: String) throws -> SecretBytes {
        if let source = profile.password {
            return try source.resolve(what: "password of \(user) (profile \(profile.name))")
        }
        guard prompter.isInteractive else { throw SGError.loginRequired(profile: profile.name) }
        return try prompter.readSecret("Password for \(user) at \(profile.appliances.first?.description ?? profile.name): ")
    }

    func oneTimeCode(message: String?) throws -> SecretBytes {
        if let source = profile.otp {
            return try source.resolve(what: "one-time code (profile \(profile.name))")
        }
        guard prompter.isInteractive else { throw SGError.loginRequired(profile: profile.name) }
        if let message, !message.isEmpty { prompter.say(message) }
        return try prompter.readSecret("One-time code: ")
    }
}
