import SGCore
import SGTransport
#if canImport(Glibc)
import Glibc
#endif

/// CyberArk Identity logins as the ark SDK performs them (ark-keyring.md §4): a user with
/// password and further challenges (out-of-band approval polled, or a typed code), a service
/// user through OAuth2 client credentials, and the platform-token refresh.
///
///     let identity = try IdentityClient(profile: arkProfile)
///     var token = try identity.login()                 // IdentityToken
///     token = try identity.refresh(token)
///     let svc = try identity.loginServiceUser()
///
/// Nothing here waits on a person who is not there: without a terminal, a challenge that config
/// does not settle is an error, and out-of-band polling stops after `oobTimeout` seconds.
public final class IdentityClient: Sendable {
    public let profile: IdentityProfile
    public let http: HTTPClient
    public let prompter: any Prompter
    /// Seconds between `Poll` calls (the SDK's 0.5 s).
    public let oobPollInterval: Double
    /// How long an out-of-band approval is waited for before `SGError.timeout`.
    public let oobTimeout: Double
    /// The tenant URL from the profile, `https://host[:port]`.
    public let tenantURL: String

    public static let defaultServiceApp = "__idaptive_cybr_user_oidc"

    public init(profile: IdentityProfile, http: HTTPClient? = nil, prompter: any Prompter = TerminalPrompt(),
                oobPollInterval: Double = 0.5, oobTimeout: Double = 60) throws {
        self.profile = profile
        self.prompter = prompter
        self.oobPollInterval = oobPollInterval
        self.oobTimeout = oobTimeout
        let url = try Self.normalize(profile.tenantURL, profile: profile.name)
        tenantURL = url
        self.http = try http ?? HTTPClient(appliances: [try Self.appliance(url, profile: profile.name)], tls: profile.tls,
                                           profileName: profile.name)
    }

    // MARK: user login

    /// Logs `username` (default: the profile's) in. The password comes from the argument, the
    /// profile's `password:` source or the terminal; MFA from the profile's `mechanism:` or the terminal.
    public func login(username: String? = nil, password: SecretBytes? = nil) throws -> IdentityToken {
        let user = try username ?? profile.username ?? askUsername()
        var endpoint = tenantURL
        var jar = CookieJar()
        var start: JSONValue = .null
        for redirects in 0...3 {
            let response = try post(endpoint, "/Security/StartAuthentication", jar: jar, body: .object([
                ("User", .text(user)), ("Version", .text("1.0")), ("PlatformTokenResponse", .bool(true)),
                ("MfaRequestor", .text("DeviceAgent")),
            ]))
            jar.store(from: response)
            start = try result(response, what: "Identity login of \(user) (StartAuthentication)")
            if start["Challenges"] == nil, start["IdpRedirectUrl"] == nil, let pod = start["PodFqdn"]?.text, !pod.isEmpty {
                guard redirects < 3 else { throw SGError.unexpectedResponse("Identity login of \(user): too many PodFqdn redirects") }
                endpoint = try Self.normalize(pod, profile: profile.name)
                Log.logger.debug("Identity tenant redirects to \(endpoint)")
                jar = CookieJar()
                continue
            }
            break
        }
        if let idp = start["IdpRedirectUrl"]?.text, !idp.isEmpty {
            throw SGError.unexpectedResponse("Identity login of \(user): the tenant sends this user to an external identity provider (SAML), which sg does not drive; use a service user (--method identity-service)")
        }
        guard let sessionId = start["SessionId"]?.text, var challenges = start["Challenges"]?.arrayValue, !challenges.isEmpty else {
            throw SGError.unexpectedResponse("Identity login of \(user): StartAuthentication gave no session or challenges")
        }
        let session = Session(user: user, endpoint: endpoint, jar: jar, sessionId: sessionId, password: password)
        var index = 0
        while index < challenges.count {
            let mechanisms = challenges[index]["Mechanisms"]?.arrayValue ?? []
            let mechanism = try choose(from: mechanisms, session: session)
            switch try answer(mechanism, session: session) {
            case .done(let r):
                return try makeToken(r, session: session)
            case .next(let replaced):
                if let replaced, !replaced.isEmpty { challenges = replaced; index = 0 } else { index += 1 }
            case .pending:
                index += 1
            }
        }
        throw SGError.unexpectedResponse("Identity login of \(user): every challenge was answered but the tenant did not answer LoginSuccess")
    }

    /// What one login carries from step to step.
    final class Session {
        let user: String
        let endpoint: String
        let jar: CookieJar
        let sessionId: String
        var password: SecretBytes?
        init(user: String, endpoint: String, jar: CookieJar, sessionId: String, password: SecretBytes?) {
            self.user = user
            self.endpoint = endpoint
            self.jar = jar
            self.sessionId = sessionId
            self.password = password
        }
    }

    struct Mechanism {
        let id: String
        let name: String
        let answerType: String
        let prompt: String?
        init?(_ json: JSONValue) {
            guard let id = json["MechanismId"]?.text, let name = json["Name"]?.text else { return nil }
            self.id = id
            self.name = name
            answerType = json["AnswerType"]?.text ?? ""
            prompt = (json["PromptMechChosen"] ?? json["PromptSelectMech"])?.text
        }
        var isPassword: Bool { name.uppercased() == "UP" }
        var isOutOfBand: Bool { answerType.lowercased().hasPrefix("start") }
        /// Out-of-band factors that also accept the code typed (email/SMS with a code).
        var acceptsTypedCode: Bool { answerType.lowercased() == "starttextoob" }
    }

    enum Outcome {
        case done(JSONValue)
        /// Go on with the next challenge, or with these challenges when the tenant replaced them.
        case next([JSONValue]?)
        /// `OobPending`: the out-of-band factor is not approved yet.
        case pending
    }

    func choose(from list: [JSONValue], session: Session) throws -> Mechanism {
        let mechanisms = list.compactMap(Mechanism.init)
        guard !mechanisms.isEmpty else { throw SGError.unexpectedResponse("Identity login of \(session.user): a challenge lists no mechanism") }
        if let up = mechanisms.first(where: \.isPassword) { return up }
        let names = mechanisms.map(\.name).joined(separator: ", ")
        if let wanted = profile.mechanism?.lowercased(), let m = mechanisms.first(where: { $0.name.lowercased() == wanted }) {
            return m
        }
        guard prompter.isInteractive else {
            if let wanted = profile.mechanism {
                throw SGError.config("profile \(profile.name): mechanism '\(wanted)' is not offered for \(session.user) (offered: \(names))")
            }
            throw SGError.config("profile \(profile.name): Identity asks \(session.user) for a second factor (\(names)) and there is no terminal: set 'mechanism:' to one of them")
        }
        if mechanisms.count == 1 { return mechanisms[0] }
        for (i, m) in mechanisms.enumerated() { prompter.say("  \(i + 1)) \(m.name)\(m.prompt.map { " — \($0)" } ?? "")") }
        let choice = try prompter.readLine("Second factor [1-\(mechanisms.count)]: ")
        if let n = Int(choice), (1...mechanisms.count).contains(n) { return mechanisms[n - 1] }
        if let m = mechanisms.first(where: { $0.name.lowercased() == choice.lowercased() }) { return m }
        throw SGError.usage("no such second factor: \(choice) (offered: \(names))")
    }

    func answer(_ m: Mechanism, session: Session) throws -> Outcome {
        let what = "Identity login of \(session.user) (\(m.name))"
        if m.isPassword {
            let pw = try session.password ?? password(for: session.user)
            session.password = pw
            return try advance(session, m, action: "Answer", answer: pw, what: what)
        }
        if !m.isOutOfBand {
            guard prompter.isInteractive else { throw SGError.loginRequired(profile: profile.name) }
            let code = try prompter.readSecret("\(m.prompt ?? m.name): ")
            return try advance(session, m, action: "Answer", answer: code, what: what)
        }
        let started = Clock.now
        let first = try advance(session, m, action: "StartOOB", answer: SecretBytes(bytes: []), what: what)
        if case .done = first { return first }
        if case .next(let c?) = first, !c.isEmpty { return first }
        if prompter.isInteractive {
            prompter.say("\(m.prompt ?? m.name): approve the request\(m.acceptsTypedCode ? " or type the code" : "")")
            if m.acceptsTypedCode {
                let code = try prompter.readSecret("Code (Enter to wait for approval): ")
                if !code.isEmpty { return try advance(session, m, action: "Answer", answer: code, what: what) }
            }
        }
        while true {
            if Clock.now - started >= oobTimeout {
                throw SGError.timeout("\(what): not approved within \(fmtSeconds(oobTimeout)) s")
            }
            pause(min(oobPollInterval, max(0, oobTimeout - (Clock.now - started))))
            let outcome = try advance(session, m, action: "Poll", answer: SecretBytes(bytes: []), what: what)
            if case .pending = outcome { continue }
            return outcome
        }
    }

    func advance(_ s: Session, _ m: Mechanism, action: String, answer: SecretBytes, what: String) throws -> Outcome {
        let response = try post(s.endpoint, "/Security/AdvanceAuthentication", jar: s.jar, body: .object([
            ("SessionId", .text(s.sessionId)), ("MechanismId", .text(m.id)), ("Action", .text(action)), ("Answer", .string(answer)),
        ]))
        s.jar.store(from: response)
        let r = try result(response, what: what)
        let summary = r["Summary"]?.text ?? ""
        if summary == "LoginSuccess" { return .done(r) }
        if summary.lowercased() == "oobpending" { return .pending }
        return .next(r["Challenges"]?.arrayValue)
    }

    func makeToken(_ r: JSONValue, session: Session) throws -> IdentityToken {
        guard let value = r["Token"] ?? r["Auth"], case .string(let token) = value, !token.isEmpty else {
            throw SGError.unexpectedResponse("Identity login of \(session.user): LoginSuccess without a token")
        }
        var refresh: SecretBytes?
        if let v = r["RefreshToken"], case .string(let s) = v, !s.isEmpty { refresh = s }
        let tenant = JWT.claims(token)?["tenant_id"]?.text ?? r["CustomerID"]?.text
        if let tenant {
            if session.jar.value("idToken-\(tenant)") == nil { session.jar.set("idToken-\(tenant)", token) }
            if let refresh, session.jar.value("refreshToken-\(tenant)") == nil { session.jar.set("refreshToken-\(tenant)", refresh) }
        }
        var metadata: [String: JSONValue] = [:]
        if let cookies = session.jar.header() { metadata["cookies"] = .string(cookies) }
        if let tenant { metadata["tenant_id"] = .text(tenant) }
        if let auth = r["Auth"], case .string = auth { metadata["auth"] = auth }
        let lifetime = r["TokenLifetime"]?.intValue.map(Double.init)
        return IdentityToken(token: token, refreshToken: refresh, username: r["User"]?.text ?? session.user, endpoint: session.endpoint,
                             expiresAt: JWT.expiry(token) ?? Clock.wallNow + (lifetime ?? 3600),
                             authMethod: .identity, metadata: metadata)
    }

    // MARK: refresh

    /// New platform token from `token`'s refresh token and tenant cookies
    /// (`POST /OAuth2/RefreshPlatformToken`). A refused refresh is `SGError.loginRequired`.
    public func refresh(_ token: IdentityToken) throws -> IdentityToken {
        guard let refresh = token.refreshToken, !refresh.isEmpty else { throw SGError.loginRequired(profile: profile.name) }
        guard let tenant = token.tenantId else {
            throw SGError.unexpectedResponse("Identity refresh: the token names no tenant (tenant_id)")
        }
        let jar = CookieJar()
        if case .string(let cookies)? = token.metadata["cookies"] { jar.load(header: cookies) }
        jar.set("refreshToken-\(tenant)", refresh)
        jar.set("idToken-\(tenant)", token.token)
        let response = try post(token.endpoint, "/OAuth2/RefreshPlatformToken", jar: jar, body: nil)
        if response.status == 401 || response.status == 403 { throw SGError.loginRequired(profile: profile.name) }
        let r = try result(response, what: "Identity token refresh", deniedIsLoginRequired: true)
        jar.store(from: response)
        var newToken = jar.value("idToken-\(tenant)")
        var newRefresh = jar.value("refreshToken-\(tenant)")
        if let v = r["Token"], case .string(let s) = v, !s.isEmpty { newToken = s }
        if let v = r["RefreshToken"], case .string(let s) = v, !s.isEmpty { newRefresh = s }
        guard let newToken, newToken.constantTimeEquals(token.token) == false || newRefresh != nil else {
            throw SGError.unexpectedResponse("Identity token refresh: no new token in the answer")
        }
        var metadata = token.metadata
        if let cookies = jar.header() { metadata["cookies"] = .string(cookies) }
        metadata["tenant_id"] = .text(tenant)
        let lifetime = r["TokenLifetime"]?.intValue.map(Double.init)
        return IdentityToken(token: newToken, refreshToken: newRefresh ?? refresh, username: token.username, endpoint: token.endpoint,
                             expiresAt: JWT.expiry(newToken) ?? Clock.wallNow + (lifetime ?? 3600),
                             authMethod: token.authMethod, metadata: metadata)
    }

    // MARK: service user

    /// Logs the profile's service user in: client credentials at `/Oauth2/Token/<app>`, then the
    /// `id_token` from the fragment of `/OAuth2/Authorize/<app>`'s redirect (not followed).
    public func loginServiceUser(secret: SecretBytes? = nil) throws -> IdentityToken {
        guard let su = profile.serviceUser else {
            throw SGError.config("profile \(profile.name) has no 'service-user:' (name, app, secret)")
        }
        let app = su.app.isEmpty ? Self.defaultServiceApp : su.app
        let what = "Identity service-user login of \(su.name)"
        let secretValue: SecretBytes
        if let secret { secretValue = secret }
        else if let source = su.secret { secretValue = try source.resolve(what: "secret of service user \(su.name) (profile \(profile.name))") }
        else if prompter.isInteractive { secretValue = try prompter.readSecret("Secret of service user \(su.name): ") }
        else { throw SGError.loginRequired(profile: profile.name) }

        let credentials = SecretBuffer()
        credentials.append(su.name)
        credentials.append(":")
        credentials.append(secretValue)
        var tokenRequest = HTTPRequest(.post, "")
        tokenRequest.absoluteURL = tenantURL + "/Oauth2/Token/" + URLEncoding.percentEncode(app)
        tokenRequest.authorization = ("Basic ", Base64.encode(credentials.take()))
        tokenRequest.headers.append(("X-IDAP-NATIVE-CLIENT", "true"))
        tokenRequest.setFormBody(URLEncoding.form([("grant_type", SecretBytes(string: "client_credentials")), ("scope", SecretBytes(string: "api"))]))
        let tokenResponse = try http.send(tokenRequest)
        guard tokenResponse.isSuccess else { throw oauthError(tokenResponse, what: what) }
        guard let v = try? JSONValue.parse(tokenResponse.body)["access_token"], case .string(let access) = v, !access.isEmpty else {
            throw SGError.unexpectedResponse("\(what): the token answer has no access_token")
        }

        var authorize = HTTPRequest(.get, "")
        authorize.absoluteURL = tenantURL + "/OAuth2/Authorize/\(URLEncoding.percentEncode(app))?client_id=\(URLEncoding.percentEncode(app))"
            + "&response_type=id_token&scope=openid+profile+api&redirect_uri=https%3A%2F%2Fcyberark.cloud%2Fredirect"
        authorize.authorization = ("Bearer ", access)
        authorize.headers.append(("X-IDAP-NATIVE-CLIENT", "true"))
        let redirect = try http.send(authorize)
        guard (300..<400).contains(redirect.status), let location = redirect.header("Location") else {
            if redirect.isSuccess { throw SGError.unexpectedResponse("\(what): Authorize answered \(redirect.status), not a redirect") }
            throw oauthError(redirect, what: "\(what) (authorize)")
        }
        guard let hash = location.firstIndex(of: "#"),
              let idToken = URLEncoding.parameters(location[location.index(after: hash)...]).first(where: { $0.0 == "id_token" })?.1,
              !idToken.isEmpty else {
            throw SGError.unexpectedResponse("\(what): the redirect carries no id_token")
        }
        let token = SecretBytes(string: idToken)
        var metadata: [String: JSONValue] = [:]
        if let tenant = JWT.claims(token)?["tenant_id"]?.text { metadata["tenant_id"] = .text(tenant) }
        return IdentityToken(token: token, refreshToken: nil, username: su.name, endpoint: tenantURL,
                             expiresAt: JWT.expiry(token) ?? Clock.wallNow + 4 * 3600,
                             authMethod: .identityServiceUser, metadata: metadata)
    }

    // MARK: plumbing

    func post(_ endpoint: String, _ path: String, jar: CookieJar, body: JSONValue?) throws -> HTTPResponse {
        var r = HTTPRequest(.post, path)
        r.absoluteURL = endpoint + path
        if let body { r.setJSONBody(body.serialized()) } else { r.headers.append(("Content-Type", "application/json")) }
        r.headers.append(("X-IDAP-NATIVE-CLIENT", "true"))
        r.headers.append(("OobIdPAuth", "true"))
        r.addCookies(from: jar)
        return try http.send(r)
    }

    /// The `Result` of an Identity envelope `{"success": true, "Result": ...}`.
    func result(_ response: HTTPResponse, what: String, deniedIsLoginRequired: Bool = false) throws -> JSONValue {
        switch response.status {
        case 200..<300: break
        case 401, 403: throw SGError.denied("\(what): \(response.status)")
        case 429: throw SGError.retriesExhausted("\(what): too many requests (429)")
        default: throw SGError.unexpectedResponse("\(what): HTTP \(response.status)")
        }
        guard let json = try? JSONValue.parse(response.body) else {
            throw SGError.unexpectedResponse("\(what): the answer is not JSON")
        }
        guard json["success"]?.text == "true" else {
            if deniedIsLoginRequired { throw SGError.loginRequired(profile: profile.name) }
            let message = json["Message"]?.text.map { String($0.prefix(300)) } ?? "refused"
            throw SGError.denied("\(what): \(message)")
        }
        return json["Result"] ?? .null
    }

    func oauthError(_ response: HTTPResponse, what: String) -> SGError {
        let json = try? JSONValue.parse(response.body)
        let detail = [json?["error"]?.text, json?["error_description"]?.text].compactMap { $0 }.joined(separator: ": ")
        let text = "\(what): \(response.status)\(detail.isEmpty ? "" : " (\(String(detail.prefix(300))))")"
        switch response.status {
        case 400, 401, 403: return .denied(text)
        case 429: return .retriesExhausted(text)
        default: return .unexpectedResponse(text)
        }
    }

    func password(for user: String) throws -> SecretBytes {
        if let source = profile.password { return try source.resolve(what: "password of \(user) (profile \(profile.name))") }
        guard prompter.isInteractive else { throw SGError.loginRequired(profile: profile.name) }
        return try prompter.readSecret("CyberArk Identity password for \(user): ")
    }

    func askUsername() throws -> String {
        guard prompter.isInteractive else {
            throw SGError.config("profile \(profile.name) has no 'username:' and there is no terminal to ask on")
        }
        let u = try prompter.readLine("CyberArk Identity user name: ")
        guard !u.isEmpty else { throw SGError.usage("no user name given") }
        return u
    }

    func fmtSeconds(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String((d * 10).rounded() / 10)
    }

    func pause(_ seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var rem = timespec()
        while nanosleep(&ts, &rem) != 0 && errno == EINTR { ts = rem }
    }

    /// `https://host[:port]` without a trailing slash; a bare host gets `https://`.
    static func normalize(_ url: String, profile: String) throws -> String {
        var u = url
        if !u.lowercased().hasPrefix("https://") {
            guard !u.contains("://") else { throw SGError.config("profile \(profile): tenant must be an https:// URL") }
            u = "https://" + u
        }
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }

    static func appliance(_ url: String, profile: String) throws -> Appliance {
        var hostPort = Substring(url.dropFirst("https://".count))
        if let slash = hostPort.firstIndex(of: "/") { hostPort = hostPort[..<slash] }
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            let host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let rest = hostPort[hostPort.index(after: close)...]
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()) { return Appliance(host: host, port: port) }
            return Appliance(host: host)
        }
        let parts = hostPort.split(separator: ":")
        guard let host = parts.first, !host.isEmpty else { throw SGError.config("profile \(profile): bad tenant URL \(url)") }
        if parts.count == 2 {
            guard let port = Int(parts[1]) else { throw SGError.config("profile \(profile): bad port in tenant URL \(url)") }
            return Appliance(host: String(host), port: port)
        }
        return Appliance(host: String(host))
    }
}
