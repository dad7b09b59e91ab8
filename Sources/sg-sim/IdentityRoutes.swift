import Foundation

/// CyberArk Identity (ark-keyring.md §4): StartAuthentication / AdvanceAuthentication with password and
/// an OOB factor, the PodFqdn redirect, RefreshPlatformToken, and the service-user OAuth2 flow.
extension SimApp {
    static let identityFailure = "Authentication (login or challenge) has failed. Please try again or contact your system administrator."

    func identity(_ req: SimRequest) -> SimResponse {
        switch (req.method, req.segments) {
        case ("POST", ["security", "startauthentication"]): return startAuthentication(req)
        case ("POST", ["security", "advanceauthentication"]): return advanceAuthentication(req)
        case ("POST", ["oauth2", "refreshplatformtoken"]): return refreshPlatformToken(req)
        case ("POST", let s) where s.count == 3 && s[0] == "oauth2" && s[1] == "token": return serviceToken(req, app: req.segments[2])
        case ("GET", let s) where s.count == 3 && s[0] == "oauth2" && s[1] == "authorize": return serviceAuthorize(req, app: req.segments[2])
        default: return .json(404, identityFail("The requested resource was not found."))
        }
    }

    private func identityFail(_ message: String) -> JSON {
        .object([("success", .bool(false)), ("Result", .null), ("Message", .string(message)),
                 ("MessageID", .null), ("Exception", .null), ("ErrorID", .string(Tokens.alnum(8))), ("ErrorCode", .null),
                 ("IsSoftError", .bool(false)), ("InnerExceptions", .null)])
    }

    private func ok(_ result: JSON, headers: [(String, String)] = []) -> SimResponse {
        .json(200, .object([("success", .bool(true)), ("Result", result), ("Message", .null), ("MessageID", .null),
                            ("Exception", .null), ("ErrorID", .null), ("ErrorCode", .null), ("IsSoftError", .bool(false)),
                            ("InnerExceptions", .null)]), headers: headers)
    }

    private func mechanism(_ id: String, _ name: String, _ answerType: String, _ prompt: String) -> JSON {
        .object([("AnswerType", .string(answerType)), ("Name", .string(name)), ("PromptMechChosen", .string(prompt)),
                 ("PromptSelectMech", .string(prompt)), ("MechanismId", .string(id)), ("Enrolled", .bool(true))])
    }

    private func startAuthentication(_ req: SimRequest) -> SimResponse {
        let name = req.field("User") ?? ""
        let user = Catalogue.identityUsers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
            ?? IdentityUser(name: name, password: "\u{0}no-such-user-\(Tokens.alnum(8))", oob: false, redirect: false)
        let host = req.header("Host") ?? ""
        if user.redirect, host.hasPrefix("127.0.0.1") {
            return ok(.object([("PodFqdn", .string("localhost:\(identityPort)"))]))
        }
        let sessionId = Tokens.opaque(16)
        identitySessions[sessionId] = IdentitySession(user: user)
        var challenges: [JSON] = [.object([("Mechanisms", .array([mechanism("mech-up", "UP", "Text", "Password")]))])]
        if user.oob {
            challenges.append(.object([("Mechanisms", .array([
                mechanism("mech-email", "EMAIL", "StartOob", "Email... @sim.example"),
                mechanism("mech-sms", "SMS", "StartOob", "SMS... XXX-1234"),
            ]))]))
        }
        return ok(.object([("ClientHints", .object([("PersistDefault", .bool(false)), ("AllowPersist", .bool(true))])),
                           ("Version", .string("1.0")), ("SessionId", .string(sessionId)),
                           ("Challenges", .array(challenges)), ("Summary", .string("NewPackage")),
                           ("TenantId", .string(Catalogue.tenantId))]),
                  headers: [("Set-Cookie", "podloc=sim; Path=/; Secure; HttpOnly")])
    }

    private func advanceAuthentication(_ req: SimRequest) -> SimResponse {
        guard let sid = req.field("SessionId"), var session = identitySessions[sid] else {
            return .json(200, identityFail("The session is invalid or has expired."))
        }
        let action = (req.field("Action") ?? "").lowercased()
        let mech = req.field("MechanismId") ?? ""
        defer { if identitySessions[sid] != nil { identitySessions[sid] = session } }
        switch action {
        case "answer" where mech == "mech-up":
            guard req.field("Answer") == session.user.password else {
                identitySessions.removeValue(forKey: sid)
                return .json(200, identityFail(SimApp.identityFailure))
            }
            session.passwordDone = true
            if session.user.oob { return ok(.object([("Summary", .string("StartNextChallenge"))])) }
            return loginSuccess(sid, session.user)
        case "startoob" where session.user.oob && session.passwordDone && (mech == "mech-email" || mech == "mech-sms"):
            session.oobStarted = true
            session.polls = 0
            return ok(.object([("Summary", .string("OobPending")), ("GeneratedAuthValue", .null)]))
        case "poll" where session.oobStarted:
            session.polls += 1
            if session.polls >= Catalogue.oobPollsNeeded { return loginSuccess(sid, session.user) }
            return ok(.object([("Summary", .string("OobPending"))]))
        default:
            return .json(200, identityFail(SimApp.identityFailure))
        }
    }

    /// A platform token: an unsigned JWT with `exp`, `iat` and `tenant_id`.
    private func platformToken(_ user: String) -> String {
        let now = Tokens.now
        return Tokens.jwt([("sub", .string(user)), ("unique_name", .string(user)), ("tenant_id", .string(Catalogue.tenantId)),
                           ("iss", .string("https://localhost:\(identityPort)")), ("aud", .string(Catalogue.serviceApp)),
                           ("iat", .int(now)), ("exp", .int(now + SimApp.identityTokenLifetime))])
    }

    private func tokenCookies(_ token: String, _ refresh: String) -> [(String, String)] {
        [("Set-Cookie", "idToken-\(Catalogue.tenantId)=\(token); Path=/; Secure; HttpOnly"),
         ("Set-Cookie", "refreshToken-\(Catalogue.tenantId)=\(refresh); Path=/; Secure; HttpOnly")]
    }

    private func loginSuccess(_ sid: String, _ user: IdentityUser) -> SimResponse {
        identitySessions.removeValue(forKey: sid)
        let token = platformToken(user.name)
        let refresh = Tokens.opaque(24)
        identityRefresh[refresh] = user.name
        log.logins += 1
        return ok(.object([
            ("AuthLevel", .string("Normal")), ("DisplayName", .string(user.name.components(separatedBy: "@")[0])),
            ("Auth", .string(Tokens.opaque(48))), ("UserId", .string(UUID().uuidString.lowercased())),
            ("EmailAddress", .string(user.name)), ("UserDirectory", .string("CDS")),
            ("PodFqdn", .string("localhost:\(identityPort)")), ("User", .string(user.name)),
            ("CustomerID", .string(Catalogue.tenantId)), ("SystemID", .string(Catalogue.tenantId)),
            ("SourceDsType", .string("CDS")), ("Summary", .string("LoginSuccess")),
            ("Token", .string(token)), ("RefreshToken", .string(refresh)),
            ("TokenLifetime", .int(SimApp.identityTokenLifetime)),
        ]), headers: tokenCookies(token, refresh))
    }

    private func refreshPlatformToken(_ req: SimRequest) -> SimResponse {
        guard let old = req.cookies["refreshToken-\(Catalogue.tenantId)"], let user = identityRefresh.removeValue(forKey: old) else {
            return .json(401, identityFail("Refresh token is missing, invalid or expired."))
        }
        let token = platformToken(user)
        let refresh = Tokens.opaque(24)
        identityRefresh[refresh] = user
        log.logins += 1
        return ok(.object([("Token", .string(token)), ("RefreshToken", .string(refresh)),
                           ("TokenLifetime", .int(SimApp.identityTokenLifetime)), ("User", .string(user))]),
                  headers: tokenCookies(token, refresh))
    }

    private func serviceToken(_ req: SimRequest, app: String) -> SimResponse {
        guard app == Catalogue.serviceApp.lowercased() else {
            return .json(400, oauthError("invalid_client", "Unknown application."))
        }
        guard let auth = req.authorization, auth.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(auth.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              String(decoding: decoded, as: UTF8.self) == "\(Catalogue.serviceUser):\(catalogue.serviceSecret)" else {
            return .json(401, oauthError("invalid_client", "Client authentication failed."))
        }
        guard req.field("grant_type") == "client_credentials" else {
            return .json(400, oauthError("unsupported_grant_type", "Only client_credentials is supported."))
        }
        let token = Tokens.opaque(40)
        serviceAccessTokens[token] = Date(timeIntervalSinceNow: 3600)
        log.logins += 1
        return .json(200, .object([("access_token", .string(token)), ("token_type", .string("Bearer")),
                                   ("expires_in", .int(3600)), ("scope", .string(req.field("scope") ?? "api"))]))
    }

    private func serviceAuthorize(_ req: SimRequest, app: String) -> SimResponse {
        guard let token = req.bearer, let exp = serviceAccessTokens[token], exp > Date() else {
            return .json(401, oauthError("invalid_token", "The access token is missing, invalid or expired."))
        }
        guard app == Catalogue.serviceApp.lowercased(), req.param("response_type") == "id_token" else {
            return .json(400, oauthError("invalid_request", "Unknown application or response_type."))
        }
        let redirect = req.param("redirect_uri") ?? "https://cyberark.cloud/redirect"
        let idToken = platformToken(Catalogue.serviceUser)
        var r = SimResponse.empty(302)
        r.headers.append(("Location", "\(redirect)#id_token=\(idToken)&token_type=Bearer&expires_in=\(SimApp.identityTokenLifetime)"))
        return r
    }
}
