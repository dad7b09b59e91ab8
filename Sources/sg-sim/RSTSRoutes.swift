import Foundation

/// rSTS (`/RSTS/oauth2/token`, the PKCE LoginController) and the Core/Appliance token endpoints.
extension SimApp {
    static let providers: [(id: String, name: String)] = [("local", "Local"), ("certificate", "Certificate"), ("ad1", "corp.example")]
    /// Providers whose users are the seeded rSTS users (ad1 shares them, for provider-resolution tests).
    static let userProviders: Set<String> = ["local", "ad1"]

    func rstsRoute(_ req: SimRequest) -> SimResponse? {
        guard req.segments.first == "rsts" else { return nil }
        switch (req.method, Array(req.segments.dropFirst())) {
        case ("POST", ["oauth2", "token"]): return token(req)
        case ("POST", ["userlogin", "logincontroller"]): return loginController(req)
        default: return .notFound
        }
    }

    private func user(_ name: String?) -> RSTSUser? {
        guard let name else { return nil }
        return Catalogue.rstsUsers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    private func issueStsToken(user: String, scope: String) -> SimResponse {
        let now = Tokens.now
        let token = Tokens.jwt([("sub", .string(user)), ("iss", .string("sg-sim-rsts")), ("iat", .int(now)),
                                ("exp", .int(now + Int(SimApp.stsTokenLifetime))), ("scope", .string(scope))])
        stsTokens[token] = TokenGrant(user: user, expires: Date(timeIntervalSinceNow: SimApp.stsTokenLifetime))
        log.logins += 1
        return .json(200, .object([("access_token", .string(token)), ("token_type", .string("Bearer")),
                                   ("expires_in", .int(Int(SimApp.stsTokenLifetime))), ("scope", .string(scope)),
                                   ("success", .bool(true))]))
    }

    private func token(_ req: SimRequest) -> SimResponse {
        let f = req.fields
        switch (f["grant_type"] ?? "").lowercased() {
        case "password":
            let scope = f["scope"] ?? "rsts:sts:primaryproviderid:local"
            let prefix = "rsts:sts:primaryproviderid:"
            guard scope.lowercased().hasPrefix(prefix),
                  SimApp.userProviders.contains(String(scope.dropFirst(prefix.count)).lowercased()) else {
                return .json(400, oauthError("invalid_scope", "The scope '\(scope)' names no known identity provider."))
            }
            if let u = user(f["username"]), !u.passwordGrantAllowed {
                return .json(400, oauthError("unauthorized_client",
                    "The resource owner grant type is not allowed for this user or appliance. Use PKCE (authorization code) instead."))
            }
            guard let u = user(f["username"]), f["password"] == u.password else {
                return .json(401, oauthError("invalid_grant", "The user name or password is incorrect."))
            }
            return issueStsToken(user: u.name, scope: scope)
        case "client_credentials":
            guard let cn = req.clientCN else { return .certDenied }
            return issueStsToken(user: cn, scope: f["scope"] ?? "rsts:sts:primaryproviderid:certificate")
        case "authorization_code":
            guard let code = f["code"], let grant = authCodes.removeValue(forKey: code) else {
                return .json(400, oauthError("invalid_grant", "The authorization code is invalid or was already used."))
            }
            guard let verifier = f["code_verifier"],
                  Tokens.base64url(SHA256.hash(Array(verifier.utf8))) == grant.challenge else {
                return .json(400, oauthError("invalid_grant", "The code_verifier does not match the code_challenge."))
            }
            return issueStsToken(user: grant.user, scope: "rsts:sts:primaryproviderid:local")
        default:
            return .json(400, oauthError("unsupported_grant_type", "The grant type '\(f["grant_type"] ?? "")' is not supported."))
        }
    }

    // ---- PKCE LoginController ----------------------------------------------------------------

    private func loginController(_ req: SimRequest) -> SimResponse {
        guard req.param("response_type")?.lowercased() == "code",
              req.param("code_challenge_method")?.uppercased() == "S256",
              let challenge = req.param("code_challenge"), !challenge.isEmpty,
              req.param("redirect_uri")?.lowercased() == "urn:installedapplication",
              let step = Int(req.param("loginRequestStep") ?? "") else {
            return .text(400, "Invalid login request.")
        }
        let f = req.fields
        let cookie = req.cookies["CsrfToken"].map { $0.removingPercentEncoding ?? $0 }
        guard let csrf = f["csrfTokenTextbox"], !csrf.isEmpty, cookie == csrf else {
            return .text(400, "Invalid or missing CSRF token.")
        }
        var session = pkce[challenge] ?? PKCESession()
        defer { pkce[challenge] = session }
        switch step {
        case 1:
            session = PKCESession()
            return .json(200, .object([("AntiCsrfToken", .string(csrf)), ("Providers", .array(SimApp.providers.map { .string($0.id) }))]))
        case 3:
            guard SimApp.userProviders.contains((f["directoryComboBox"] ?? "local").lowercased()) else {
                return .text(401, "Invalid identity provider.")
            }
            guard let u = user(f["usernameTextbox"]), f["passwordTextbox"] == u.password else {
                session.primaryDone = false
                return .text(401, "Invalid password.")
            }
            session.user = u.name
            session.primaryDone = true
            return .json(200, .object([("SecondaryProviderID", .string(u.mfa ? "sim-otp" : "")),
                                       ("UserName", .string(u.name))]))
        case 7:
            guard session.primaryDone, let u = user(session.user) else { return .text(401, "Primary authentication is required.") }
            guard u.mfa else { return .text(400, "No secondary authentication is configured for this user.") }
            let state = "otp-" + Tokens.alnum(12)
            session.secondaryState = state
            return .json(200, .object([("State", .string(state)), ("Message", .string("Enter the one-time code from your authenticator.")),
                                       ("Echo", .bool(false))]))
        case 5:
            guard session.primaryDone else { return .text(401, "Primary authentication is required.") }
            let stateOK = f["secondaryAuthenticationStateTextbox"].map { $0.isEmpty || $0 == session.secondaryState } ?? true
            guard stateOK, f["secondaryLoginTextbox"] == Catalogue.otpCode else {
                return .json(203, .object([("Message", .string("The one-time password is incorrect."))]))
            }
            session.secondaryDone = true
            return .empty(200)
        case 6:
            guard session.primaryDone, let u = user(session.user) else { return .text(401, "Primary authentication is required.") }
            guard !u.mfa || session.secondaryDone else { return .text(401, "Secondary authentication is required.") }
            let code = Tokens.opaque(24)
            authCodes[code] = (challenge, u.name)
            session = PKCESession()
            return .json(200, .object([("RelyingPartyUrl", .string("urn:InstalledApplication?code=\(code)"))]))
        default:
            return .text(400, "Unknown loginRequestStep.")
        }
    }

    // ---- Core and Appliance ------------------------------------------------------------------

    func coreRoute(_ req: SimRequest) -> SimResponse? {
        if let route = req.serviceRoute("core") {
            if let r = registrationsRoute(req, route) { return r }
            switch (req.method, route) {
            case ("GET", ["authenticationproviders"]):
                return .json(200, .array(SimApp.providers.enumerated().map { i, p in
                    .object([("Id", .int(i + 1)), ("Name", .string(p.name)), ("RstsProviderId", .string(p.id)),
                             ("RstsProviderScope", .string("rsts:sts:primaryproviderid:\(p.id)")),
                             ("TypeReferenceName", .string(p.id == "ad1" ? "ActiveDirectory" : p.name))])
                }))
            case ("POST", ["token", "loginresponse"]): return loginResponse(req)
            case ("POST", ["token", "logout"]):
                guard let (_, _) = bearerUser(req), let t = req.bearer else { return .bearerRequired }
                userTokens.removeValue(forKey: t)
                return .empty(204)
            case ("GET", ["loginmessage"]):
                return bearer(req) { _ in .json(200, .object([("Message", .string("Welcome to sg-sim.")), ("Enabled", .bool(true))])) }
            case ("GET", ["me"]):
                return bearer(req) { user in
                    .json(200, .object([("Id", .int(1000 + (Catalogue.rstsUsers.firstIndex { $0.name == user } ?? 99))),
                                        ("Name", .string(user)),
                                        ("DisplayName", .string(Catalogue.rstsUsers.first { $0.name == user }?.displayName ?? user)),
                                        ("PrimaryAuthenticationProvider", .object([("RstsProviderId", .string("local"))]))]))
                }
            default: return .notFound
            }
        }
        if let route = req.serviceRoute("appliance") {
            switch (req.method, route) {
            case ("GET", ["systemtime"]):
                return bearer(req) { _ in .json(200, .string(ISO8601DateFormatter().string(from: Date()))) }
            case ("GET", ["a2aservice", "status"]):
                return bearer(req) { _ in self.a2aStatus }
            case ("POST", ["a2aservice", "enable"]), ("POST", ["a2aservice", "disable"]):
                return bearer(req) { _ in
                    self.a2aEnabled = route[1] == "enable"
                    return self.a2aStatus
                }
            default: return .notFound
            }
        }
        return nil
    }

    var a2aStatus: SimResponse {
        .json(200, .object([("IsRunning", .bool(a2aEnabled)), ("Status", .string(a2aEnabled ? "Running" : "Stopped"))]))
    }

    /// Runs `body` for a valid Bearer token and adds X-TokenLifetimeRemaining; 401 otherwise.
    private func bearer(_ req: SimRequest, _ body: (String) -> SimResponse) -> SimResponse {
        guard let (user, remaining) = bearerUser(req) else { return .bearerRequired }
        return withLifetime(body(user), remaining)
    }

    private func loginResponse(_ req: SimRequest) -> SimResponse {
        guard let sts = req.field("StsAccessToken"), let grant = stsTokens[sts], grant.expires > Date() else {
            return .json(400, .object([("Code", .int(60519)), ("Message", .string("Invalid STS access_token.")), ("InnerError", .null)]))
        }
        stsTokens.removeValue(forKey: sts)
        let token = Tokens.jwt([("sub", .string(grant.user)), ("iss", .string("sg-sim")), ("iat", .int(Tokens.now)),
                                ("exp", .int(Tokens.now + Int(SimApp.userTokenLifetime)))])
        userTokens[token] = TokenGrant(user: grant.user, expires: Date(timeIntervalSinceNow: SimApp.userTokenLifetime))
        return withLifetime(.json(200, .object([("Status", .string("Success")), ("UserToken", .string(token)),
                                                 ("UserName", .string(grant.user)),
                                                 ("TokenLifetimeRemaining", .int(Int(SimApp.userTokenLifetime / 60)))])),
                            Int(SimApp.userTokenLifetime / 60))
    }
}
