import SGCore
import SGTransport
#if canImport(Glibc)
import Glibc
#endif

/// CyberArk Identity logins as the ark SDK performs them (ark-keyring.md §4): a user with
/// password and further challenges (out-of-band approval polled, a typed code, or both at once on a
/// terminal), a user of an external identity provider (browser, optionally a PIN), a service user
/// through OAuth2 client credentials, and the platform-token refresh.
///
///     let identity = try IdentityClient(profile: arkProfile)
///     var token = try identity.login()                 // IdentityToken
///     token = try identity.refresh(token)
///     let svc = try identity.loginServiceUser()
///
/// Nothing here waits on a person who is not there: without a terminal, a challenge that config
/// does not settle is an error, out-of-band polling stops after `oobTimeout` seconds, and an
/// external-IdP login after `idpTimeout`.
public final class IdentityClient: Sendable {
    public let profile: IdentityProfile
    public let http: HTTPClient
    public let prompter: any Prompter
    /// Seconds between `Poll` calls (the SDK's 0.5 s).
    public let oobPollInterval: Double
    /// How long an out-of-band approval is waited for before `SGError.timeout`.
    public let oobTimeout: Double
    /// How long an external-IdP login in the browser is waited for.
    public let idpTimeout: Double
    /// Opens the IdP's URL in the desktop's browser (`xdg-open`), when there is a desktop.
    public let browser: BrowserOpener
    /// The tenant URL from the profile, `https://host[:port]`.
    public let tenantURL: String

    public static let defaultServiceApp = "__idaptive_cybr_user_oidc"

    public init(profile: IdentityProfile, http: HTTPClient? = nil, prompter: any Prompter = TerminalPrompt(),
                oobPollInterval: Double = 0.5, oobTimeout: Double = 120, idpTimeout: Double = 300,
                browser: BrowserOpener = .system()) throws {
        self.profile = profile
        self.idpTimeout = idpTimeout
        self.browser = browser
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
    /// profile's `password:` source or the terminal; MFA from the profile's `mechanism:` and `otp:`,
    /// or the terminal.
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
            return try idpLogin(start, user: user, endpoint: endpoint, jar: jar)
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
                // NewPackage: the tenant replaced the challenges still to come.
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
            prompt = (json["PromptMechChosen"] ?? json["PromptSelectMech"])?.text.map(Self.printable)
        }
        var isPassword: Bool { name.uppercased() == "UP" }
        /// `StartOob` / `StartTextOob`: started with `StartOOB`, then polled.
        var isOutOfBand: Bool { answerType.lowercased().hasPrefix("start") }
        /// Out-of-band factors that also take a typed code: email/SMS with a code (`StartTextOob`), and
        /// the mobile authenticator (`OTP`), whose app shows a code as well as the push (the SDK's "Push / Code").
        var acceptsTypedCode: Bool { answerType.lowercased() == "starttextoob" || name.uppercased() == "OTP" }
        var label: String { prompt.map { "\(name) (\($0))" } ?? name }

        /// Text from the tenant, at most 200 characters on one line with its control characters
        /// escaped (SGCore's one escaping helper), before it reaches a terminal.
        static func printable(_ text: String) -> String {
            String(text.prefix(200)).escapingControlCharacters()
        }
    }

    enum Outcome {
        case done(JSONValue)
        /// Go on with the next challenge, or with these challenges when the tenant replaced them.
        case next([JSONValue]?)
        /// `OobPending`: the out-of-band factor is not approved yet.
        case pending
    }

    /// What an AdvanceAuthentication call did, for the message when the tenant says no.
    enum Step {
        case password, code, start, poll
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
            // Unlike the ark SDK, no default (email): an email on every unattended run, polled for
            // minutes, serves nobody; the profile says which factor a person will answer.
            throw SGError.config("profile \(profile.name): Identity asks \(session.user) for a second factor (\(names)) and there is no terminal: set 'mechanism:' to one of them")
        }
        if mechanisms.count == 1 { return mechanisms[0] }
        for (i, m) in mechanisms.enumerated() { prompter.say("  \(i + 1)) \(m.label)") }
        let choice = try prompter.readLine("Second factor [1-\(mechanisms.count)]: ")
        if let n = Int(choice), (1...mechanisms.count).contains(n) { return mechanisms[n - 1] }
        if let m = mechanisms.first(where: { $0.name.lowercased() == choice.lowercased() }) { return m }
        throw SGError.usage("no such second factor: \(Mechanism.printable(choice)) (offered: \(names))")
    }

    func answer(_ m: Mechanism, session: Session) throws -> Outcome {
        let what = "Identity login of \(session.user) (\(m.name))"
        if m.isPassword {
            let pw = try session.password ?? password(for: session.user)
            session.password = pw
            return try advance(session, m, action: "Answer", answer: pw, step: .password, what: what)
        }
        if !m.isOutOfBand {
            let code = try typedAnswer(m, what: what)
            return try answerCode(code, session, m, what: what)
        }
        let started = Monotonic.now
        let (first, generated) = try startOutOfBand(session, m, what: what)
        if case .done = first { return first }
        if case .next(let c?) = first, !c.isEmpty { return first }
        let match = generated.map { " (the device shows \($0): pick that number)" } ?? ""
        if !prompter.isInteractive, let generated {
            Stderr.write("sg: \(what): approve the request on your device; pick \(generated)\n")
        }
        /// One Poll; nil while the approval is pending.
        func pollOnce() throws -> Outcome? {
            if Monotonic.now - started >= oobTimeout {
                throw SGError.timeout("\(what): not approved within \(fmtSeconds(oobTimeout)) s; run the login again")
            }
            let outcome = try advance(session, m, action: "Poll", answer: SecretBytes(bytes: []), step: .poll, what: what)
            if case .pending = outcome { return nil }
            return outcome
        }
        if prompter.isInteractive {
            if m.acceptsTypedCode {
                // Approval and code at once: whichever comes first ends the wait.
                prompter.say("\(m.prompt ?? m.name): approve the request\(match), or type the code")
                var approved: Outcome?
                let code = try prompter.readSecret("Code (or approve on your device): ", every: oobPollInterval) {
                    approved = try pollOnce()
                    return approved == nil
                }
                if let approved { return approved }
                if let code, !code.isEmpty {
                    return try answerCode(code, session, m, what: what)
                }
                prompter.say("Waiting for the approval, up to \(fmtSeconds(max(0, oobTimeout - (Monotonic.now - started)))) s more")
            } else {
                prompter.say("\(m.prompt ?? m.name): approve the request\(match); waiting up to \(fmtSeconds(oobTimeout)) s")
            }
        } else if m.acceptsTypedCode, let source = profile.otp {
            // Unattended: the profile's source reads the code that StartOOB just sent (a mailbox script).
            let code = try source.resolve(what: "typed code for \(m.name) (profile \(profile.name))")
            return try answerCode(code, session, m, what: what)
        }
        while true {
            if let outcome = try pollOnce() { return outcome }
            pause(min(oobPollInterval, max(0, oobTimeout - (Monotonic.now - started))))
        }
    }

    /// A typed code's `Answer`. An answer that neither logs in nor moves on (still pending) did not
    /// take the code: that is a rejection too, said as one.
    func answerCode(_ code: SecretBytes, _ session: Session, _ m: Mechanism, what: String) throws -> Outcome {
        let outcome = try advance(session, m, action: "Answer", answer: code, step: .code, what: what)
        if case .pending = outcome { throw SGError.denied("\(what): the code was rejected (the tenant still waits)") }
        return outcome
    }

    /// `StartOOB`, and the `GeneratedAuthValue` to match on the device when the tenant gives one.
    func startOutOfBand(_ s: Session, _ m: Mechanism, what: String) throws -> (Outcome, String?) {
        var generated: String?
        let outcome = try advance(s, m, action: "StartOOB", answer: SecretBytes(bytes: []), step: .start, what: what) { r in
            if let v = r["GeneratedAuthValue"]?.text, !v.isEmpty, v != "null" { generated = Mechanism.printable(v) }
        }
        return (outcome, generated)
    }

    /// A typed answer (OATH code, security question): the profile's `otp:` source, else the terminal.
    func typedAnswer(_ m: Mechanism, what: String) throws -> SecretBytes {
        if let source = profile.otp { return try source.resolve(what: "typed code for \(m.name) (profile \(profile.name))") }
        guard prompter.isInteractive else {
            throw SGError.config("profile \(profile.name): \(what) needs a typed answer and there is no terminal: set 'otp:' to a source of it, or log in on a terminal")
        }
        return try prompter.readSecret("\(m.prompt ?? m.name): ")
    }

    func advance(_ s: Session, _ m: Mechanism, action: String, answer: SecretBytes, step: Step, what: String,
                 inspect: ((JSONValue) -> Void)? = nil) throws -> Outcome {
        let response = try post(s.endpoint, "/Security/AdvanceAuthentication", jar: s.jar, body: .object([
            ("SessionId", .text(s.sessionId)), ("MechanismId", .text(m.id)), ("Action", .text(action)), ("Answer", .string(answer)),
        ]))
        s.jar.store(from: response)
        let r = try result(response, what: what, refused: step)
        inspect?(r)
        let summary = r["Summary"]?.text ?? ""
        if summary == "LoginSuccess" { return .done(r) }
        if let challenges = r["Challenges"]?.arrayValue, !challenges.isEmpty { return .next(challenges) }
        if summary.lowercased() == "startnextchallenge" { return .next(nil) }
        // `OobPending`, or a summary nobody documents: like the SDK, only LoginSuccess ends a poll.
        return .pending
    }

    // MARK: external identity provider

    /// A user of an external IdP (SAML): StartAuthentication answers `IdpRedirectUrl`; the person
    /// logs in in a browser, and the tenant reports it through `OobAuthStatus`, or (with
    /// `IdpOobAuthPinRequired`) through a PIN the IdP shows, answered as mechanism `OOBAUTHPIN`.
    func idpLogin(_ start: JSONValue, user: String, endpoint: String, jar: CookieJar) throws -> IdentityToken {
        let what = "Identity login of \(user) (external identity provider)"
        guard let loginId = start["IdpLoginSessionId"]?.text, !loginId.isEmpty else {
            throw SGError.unexpectedResponse("\(what): the redirect names no IdpLoginSessionId")
        }
        let rawURL = [start["IdpRedirectShortUrl"]?.text, start["IdpRedirectUrl"]?.text].compactMap { $0 }.first { !$0.isEmpty } ?? ""
        // The URL goes to a terminal and to xdg-open: only a plain https URL does.
        guard rawURL.lowercased().hasPrefix("https://"), rawURL.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw SGError.unexpectedResponse("\(what): the tenant's IdP URL is not a plain https:// URL")
        }
        let needsPIN = start["IdpOobAuthPinRequired"]?.text == "true"
        let desktop = browser.isAvailable
        guard prompter.isInteractive || (desktop && !needsPIN) else {
            throw SGError.denied("\(what): the login happens in a browser\(needsPIN ? " and needs the PIN the provider shows" : "") and there is no terminal\(needsPIN ? "" : " or desktop"): run sg-token login -p \(profile.name) on a terminal")
        }
        prompter.say("Log in to your identity provider in a browser: \(rawURL)")
        if desktop { browser.open(rawURL) }
        let session = Session(user: user, endpoint: endpoint, jar: jar, sessionId: loginId, password: nil)
        if needsPIN {
            let pin = try prompter.readSecret("PIN shown after the identity provider's login: ")
            let response = try post(endpoint, "/Security/AdvanceAuthentication", jar: jar, body: .object([
                ("SessionId", .text(loginId)), ("MechanismId", .text("OOBAUTHPIN")), ("Action", .text("Answer")), ("Answer", .string(pin)),
            ]))
            jar.store(from: response)
            let r = try result(response, what: "\(what), PIN", refused: .code)
            guard r["Summary"]?.text == "LoginSuccess" else { throw SGError.unexpectedResponse("\(what): the PIN's answer is not LoginSuccess") }
            return try makeToken(r, session: session)
        }
        let started = Monotonic.now
        while true {
            let response = try post(endpoint, "/Security/OobAuthStatus", jar: jar, body: .object([("SessionId", .text(loginId))]))
            jar.store(from: response)
            let r = try result(response, what: what, refused: .poll)
            if r["State"]?.text == "Success", r["Token"] != nil { return try makeToken(r, session: session) }
            if Monotonic.now - started >= idpTimeout {
                throw SGError.timeout("\(what): the browser login did not finish within \(fmtSeconds(idpTimeout)) s; run the login again")
            }
            pause(min(oobPollInterval, max(0, idpTimeout - (Monotonic.now - started))))
        }
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
                             expiresAt: JWT.expiry(token) ?? WallClock.now + (lifetime ?? 3600),
                             authMethod: .identity, metadata: metadata)
    }

    // MARK: refresh

    /// New platform token from `token`'s refresh token and tenant cookies
    /// (`POST /OAuth2/RefreshPlatformToken`). A refused refresh is `SGError.loginRequired`.
    ///
    /// The new tokens are the `idToken-<tenant>` / `refreshToken-<tenant>` cookies of a 200, as
    /// ark-sdk-python and CyberArk's Go SDK read them: the body is not needed, and a tenant may send
    /// none. A body that is an envelope only fills in what the cookies left out. The server has spent
    /// the old refresh token by the time it answers 200, so a 200 is never thrown away because its
    /// body could not be read.
    public func refresh(_ token: IdentityToken) throws -> IdentityToken {
        guard let refresh = token.refreshToken, !refresh.isEmpty else { throw SGError.loginRequired(profile: profile.name) }
        guard let tenant = token.tenantId else {
            throw SGError.unexpectedResponse("Identity refresh: the token names no tenant (tenant_id)")
        }
        let jar = CookieJar()
        // sg keeps the tenant's Cookie header here; a token the ark SDK wrote holds a base64 pickle of
        // its cookie jar under the same name (lines, never a header): only a header is sent back.
        if case .string(let cookies)? = token.metadata["cookies"], cookies.withUnsafeBytes({ $0.allSatisfy { $0 >= 0x20 && $0 < 0x7f } }),
           cookies.withUnsafeBytes({ $0.contains(UInt8(ascii: "=")) }) {
            jar.load(header: cookies)
        }
        jar.set("refreshToken-\(tenant)", refresh)
        jar.set("idToken-\(tenant)", token.token)
        let response = try post(token.endpoint, "/OAuth2/RefreshPlatformToken", jar: jar, body: nil)
        return try Self.refreshed(token, refreshToken: refresh, tenant: tenant, response: response, jar: jar, profile: profile.name)
    }

    /// The token a `RefreshPlatformToken` reply carries; `jar` holds the cookies that were sent.
    /// (Also sg-fuzz's `identity-refresh` entry point.)
    public static func refreshed(_ token: IdentityToken, refreshToken refresh: SecretBytes, tenant: String, response: HTTPResponse,
                                 jar: CookieJar, profile: String) throws -> IdentityToken {
        let what = "Identity token refresh"
        switch response.status {
        case 200..<300: break
        case 401, 403: throw SGError.loginRequired(profile: profile)
        case 429: throw SGError.retriesExhausted("\(what): too many requests (429)")
        default: throw SGError.unexpectedResponse("\(what): HTTP \(response.status)")
        }
        let answered = CookieJar()
        answered.store(from: response)
        jar.store(from: response)
        let envelope = try? JSONValue.parse(response.body)
        let r = envelope?["success"]?.text == "true" ? envelope?["Result"] : nil
        var newToken = answered.value("idToken-\(tenant)")
        var newRefresh = answered.value("refreshToken-\(tenant)")
        if newToken == nil, let v = r?["Token"], case .string(let s) = v, !s.isEmpty { newToken = s }
        if newRefresh == nil, let v = r?["RefreshToken"], case .string(let s) = v, !s.isEmpty { newRefresh = s }
        guard let newToken else {
            if envelope?["success"]?.text == "false" { throw SGError.loginRequired(profile: profile) }
            throw SGError.unexpectedResponse("\(what): HTTP \(response.status) without the idToken-\(tenant) cookie or a token in the body")
        }
        var metadata = token.metadata
        if let cookies = jar.header() { metadata["cookies"] = .string(cookies) }
        metadata["tenant_id"] = .text(tenant)
        let lifetime = r?["TokenLifetime"]?.intValue.map(Double.init)
        return IdentityToken(token: newToken, refreshToken: newRefresh ?? refresh, username: token.username, endpoint: token.endpoint,
                             expiresAt: JWT.expiry(newToken) ?? WallClock.now + (lifetime ?? 3600),
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
                             expiresAt: JWT.expiry(token) ?? WallClock.now + 4 * 3600,
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

    /// The `Result` of an Identity envelope `{"success": true, "Result": ...}`. `refused` says what a
    /// `success: false` means: a wrong password or code, or a login session the tenant has ended.
    func result(_ response: HTTPResponse, what: String, refused step: Step = .password) throws -> JSONValue {
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
            let message = json["Message"]?.text.map { Mechanism.printable(String($0.prefix(300))) } ?? "refused"
            switch step {
            case .password: throw SGError.denied("\(what): \(message)")
            case .code: throw SGError.denied("\(what): the code was rejected (\(message))")
            case .start, .poll:
                throw SGError.denied("\(what): the tenant ended the login session (expired or refused: \(message)); run the login again")
            }
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
        guard prompter.isInteractive else {
            throw SGError.denied("Identity login of \(user) (profile \(profile.name)): no terminal to ask for the password and no 'password:' source in the profile")
        }
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
