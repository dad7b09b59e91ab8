import Foundation

/// CyberArk Identity (ark-keyring.md §4): StartAuthentication / AdvanceAuthentication with password and
/// every MFA mechanism of IdentityCatalogue, NewPackage, the PodFqdn redirect, the external-IdP flow
/// (OobAuthStatus, OOB PIN), RefreshPlatformToken, and the service-user OAuth2 flow. Requests lacking
/// what ark-sdk-python 2.1.4 sends get 400 naming it (`dialectViolation`).
extension SimApp {
    static let identityFailure = "Authentication (login or challenge) has failed. Please try again or contact your system administrator."
    static let identitySessionGone = "The session is invalid or has expired."

    func identity(_ req: SimRequest) -> SimResponse {
        if let missing = dialectViolation(req) {
            return .json(400, identityFail("sg-sim: the request lacks \(missing), which ark-sdk-python sends"))
        }
        switch (req.method, req.segments) {
        case ("POST", ["security", "startauthentication"]): return startAuthentication(req)
        case ("POST", ["security", "advanceauthentication"]): return advanceAuthentication(req)
        case ("POST", ["security", "oobauthstatus"]): return oobAuthStatus(req)
        case ("POST", ["oauth2", "refreshplatformtoken"]): return refreshPlatformToken(req)
        case ("POST", let s) where s.count == 3 && s[0] == "oauth2" && s[1] == "token": return serviceToken(req, app: req.segments[2])
        case ("GET", let s) where s.count == 3 && s[0] == "oauth2" && s[1] == "authorize": return serviceAuthorize(req, app: req.segments[2])
        default: return .json(404, identityFail("The requested resource was not found."))
        }
    }

    /// What a request lacks of the SDK's dialect (ark-keyring.md §4.2, §4.4), or nil. ArkIdentity's
    /// session sends `X-IDAP-NATIVE-CLIENT` and `OobIdPAuth` on every call; StartAuthentication's body
    /// carries `Version`, `PlatformTokenResponse` and `MfaRequestor`; calls after it carry the session's
    /// cookies (`podloc`); refresh carries both token cookies. The service user's session sends only
    /// `X-IDAP-NATIVE-CLIENT`.
    func dialectViolation(_ req: SimRequest) -> String? {
        func header(_ name: String) -> String? {
            req.header(name)?.lowercased() == "true" ? nil : "the header \(name): true"
        }
        let s = req.segments
        if s.first == "oauth2", s.count == 3, s[1] == "token" || s[1] == "authorize" {
            return header("X-IDAP-NATIVE-CLIENT")
        }
        if let missing = header("X-IDAP-NATIVE-CLIENT") ?? header("OobIdPAuth") { return missing }
        switch s {
        case ["security", "startauthentication"]:
            guard req.isJSON else { return "Content-Type: application/json" }
            let body = (JSON.parse(req.body) as? [String: Any]) ?? [:]
            if body["Version"] as? String != "1.0" { return "\"Version\": \"1.0\" in the body" }
            if body["PlatformTokenResponse"] as? Bool != true { return "\"PlatformTokenResponse\": true in the body" }
            if body["MfaRequestor"] as? String != "DeviceAgent" { return "\"MfaRequestor\": \"DeviceAgent\" in the body" }
        case ["security", "advanceauthentication"], ["security", "oobauthstatus"]:
            guard req.isJSON else { return "Content-Type: application/json" }
            let sid = req.field("SessionId") ?? ""
            if let podloc = identityState.sessions[sid]?.podloc ?? identityState.idpLogins[sid]?.podloc,
               req.cookies["podloc"] != podloc {
                return "the podloc cookie its StartAuthentication set"
            }
        case ["oauth2", "refreshplatformtoken"]:
            for name in ["refreshToken-\(Catalogue.tenantId)", "idToken-\(Catalogue.tenantId)"] where req.cookies[name] == nil {
                return "the cookie \(name)"
            }
        default: break
        }
        return nil
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

    private func mechanismJSON(_ id: String, _ name: String, _ answerType: String, _ prompt: String) -> JSON {
        .object([("AnswerType", .string(answerType)), ("Name", .string(name)), ("PromptMechChosen", .string(prompt)),
                 ("PromptSelectMech", .string(prompt)), ("MechanismId", .string(id)), ("Enrolled", .bool(true))])
    }

    private func challenge(_ mechanisms: [SimMechanism]) -> JSON {
        .object([("Mechanisms", .array(mechanisms.map { mechanismJSON($0.id, $0.name, $0.answerType, $0.prompt) }))])
    }

    /// The pod a request reached, named after its Host (127.0.0.1 or localhost).
    private func podloc(_ req: SimRequest) -> String {
        (req.header("Host") ?? "").hasPrefix("localhost") ? "pod-localhost" : "pod-loopback"
    }

    private func startAuthentication(_ req: SimRequest) -> SimResponse {
        let name = req.field("User") ?? ""
        let user = IdentityCatalogue.user(name)
            ?? IdentityUser(name: name, password: "\u{0}no-such-user-\(Tokens.alnum(8))")
        let host = req.header("Host") ?? ""
        if user.redirect, host.hasPrefix("127.0.0.1") {
            return ok(.object([("PodFqdn", .string("localhost:\(identityPort)"))]))
        }
        let pod = podloc(req)
        let cookie = [("Set-Cookie", "podloc=\(pod); Path=/; Secure; HttpOnly")]
        if let idp = user.idp {
            let loginId = Tokens.opaque(16)
            identityState.idpLogins[loginId] = IdpLogin(user: user, serial: identityState.nextSerial(), podloc: pod)
            let short = Tokens.alnum(8)
            return ok(.object([
                ("IdpRedirectUrl", .string("https://idp.sim.example/saml/login?RelayState=\(loginId)")),
                ("IdpRedirectShortUrl", .string("https://localhost:\(identityPort)/s/\(short)")),
                ("IdpShortUrlId", .string(short)), ("IdpLoginSessionId", .string(loginId)),
                ("IdpOobAuthPinRequired", .bool(idp == .pin)), ("TenantId", .string(Catalogue.tenantId)),
                ("Summary", .string("IdpRedirect")),
            ]), headers: cookie)
        }
        let sessionId = Tokens.opaque(16)
        identityState.sessions[sessionId] = IdentitySession(user: user, serial: identityState.nextSerial(), podloc: pod)
        let password = SimMechanism(name: "UP", answerType: "Text", prompt: "Password", approvedAfterPolls: nil, generatesValue: false, code: nil)
        var challenges = [challenge([password])]
        if !user.second.isEmpty && !user.newPackage { challenges.append(challenge(user.second)) }
        return ok(.object([("ClientHints", .object([("PersistDefault", .bool(false)), ("AllowPersist", .bool(true))])),
                           ("Version", .string("1.0")), ("SessionId", .string(sessionId)),
                           ("Challenges", .array(challenges)), ("Summary", .string("NewPackage")),
                           ("TenantId", .string(Catalogue.tenantId))]),
                  headers: cookie)
    }

    private func advanceAuthentication(_ req: SimRequest) -> SimResponse {
        let sid = req.field("SessionId") ?? ""
        if req.field("MechanismId") == "OOBAUTHPIN" { return idpPin(req, loginId: sid) }
        guard var session = identityState.sessions[sid] else {
            return .json(200, identityFail(SimApp.identitySessionGone))
        }
        let action = (req.field("Action") ?? "").lowercased()
        let mechId = req.field("MechanismId") ?? ""
        let answer = req.field("Answer") ?? ""
        // A wrong answer ends the session, as a wrong password does (sim choice).
        func fail() -> SimResponse {
            identityState.sessions.removeValue(forKey: sid)
            return .json(200, identityFail(SimApp.identityFailure))
        }
        defer { if identityState.sessions[sid] != nil { identityState.sessions[sid] = session } }

        if mechId == "mech-up" {
            guard action == "answer", !session.passwordDone, answer == session.user.password else { return fail() }
            session.passwordDone = true
            if session.user.second.isEmpty { return loginSuccess(sid, session.user) }
            if session.user.newPackage {
                return ok(.object([("Summary", .string("NewPackage")), ("Challenges", .array([challenge(session.user.second)]))]))
            }
            return ok(.object([("Summary", .string("StartNextChallenge"))]))
        }
        guard session.passwordDone, let mech = session.user.mechanism(id: mechId) else { return fail() }
        switch action {
        case "startoob":
            // The SDK sends StartOOB for every factor it picks, typed ones (OATH) too, then polls
            // while the code is typed; a typed factor's polls stay pending (sim choice).
            var sent: String?
            if case .sent? = mech.code {
                sent = String(format: "%06d", Int.random(in: 0...999_999))
                identityState.outbox[session.user.name] = (mech.name, sent!)
            }
            session.oob = (mech.id, 0, sent)
            session.approved = false
            let value: JSON = mech.generatesValue ? .string(String(Int.random(in: 10...99))) : .null
            return ok(.object([("Summary", .string("OobPending")), ("GeneratedAuthValue", value)]))
        case "poll":
            guard var oob = session.oob, oob.mechanism == mech.id else { return fail() }
            oob.polls += 1
            session.oob = oob
            if (session.approved && mech.isOutOfBand) || mech.approvedAfterPolls.map({ oob.polls >= $0 }) == true {
                return loginSuccess(sid, session.user)
            }
            return ok(.object([("Summary", .string("OobPending"))]))
        case "answer":
            switch mech.code {
            case .sent?:
                guard let code = session.oob?.sentCode, session.oob?.mechanism == mech.id, answer == code else { return fail() }
            case .totp?:
                guard TOTP.accepts(answer, key: IdentityCatalogue.totpKey, now: Tokens.now) else {
                    // A wrong authenticator code leaves a started push waiting, as the SDK's
                    // "Push / Code" loop expects (sim choice); elsewhere it ends the session.
                    if mech.isOutOfBand, session.oob?.mechanism == mech.id { return ok(.object([("Summary", .string("OobPending"))])) }
                    return fail()
                }
            case .fixed(let expected)?:
                guard answer == expected else { return fail() }
            case nil:
                return fail()
            }
            return loginSuccess(sid, session.user)
        default:
            return fail()
        }
    }

    /// `POST /admin/identity/approve`: the link in the email was clicked, the push approved.
    func approveIdentityLogin(user: String) -> Bool {
        guard let sid = identityState.sessions.filter({ $0.value.user.name == user && $0.value.oob != nil })
            .max(by: { $0.value.serial < $1.value.serial })?.key else { return false }
        identityState.sessions[sid]?.approved = true
        return true
    }

    private func oobAuthStatus(_ req: SimRequest) -> SimResponse {
        let loginId = req.field("SessionId") ?? ""
        guard let login = identityState.idpLogins[loginId] else { return .json(200, identityFail(SimApp.identitySessionGone)) }
        // A PIN login is finished by the PIN, not by polling.
        guard login.completed, login.user.idp == .browser else { return ok(.object([("State", .string("Pending"))])) }
        identityState.idpLogins.removeValue(forKey: loginId)
        return loginSuccess(nil, login.user, extra: [("State", .string("Success"))])
    }

    private func idpPin(_ req: SimRequest, loginId: String) -> SimResponse {
        guard let login = identityState.idpLogins[loginId] else { return .json(200, identityFail(SimApp.identitySessionGone)) }
        guard (req.field("Action") ?? "").lowercased() == "answer", login.completed, let pin = login.pin, req.field("Answer") == pin else {
            identityState.idpLogins.removeValue(forKey: loginId)
            return .json(200, identityFail(SimApp.identityFailure))
        }
        identityState.idpLogins.removeValue(forKey: loginId)
        return loginSuccess(nil, login.user, extra: [("State", .string("Success"))])
    }

    /// `POST /admin/identity/idp-complete`: the user logged in at the IdP in the browser. Returns
    /// the PIN the IdP shows for a PIN user, "" for the others, nil when no login is waiting.
    func completeIdpLogin(user: String) -> String? {
        guard let id = identityState.idpLogins.filter({ $0.value.user.name == user && !$0.value.completed })
            .max(by: { $0.value.serial < $1.value.serial })?.key else { return nil }
        identityState.idpLogins[id]?.completed = true
        guard identityState.idpLogins[id]?.user.idp == .pin else { return "" }
        let pin = String(format: "%08d", Int.random(in: 0...99_999_999))
        identityState.idpLogins[id]?.pin = pin
        return pin
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

    private func loginSuccess(_ sid: String?, _ user: IdentityUser, extra: [(String, JSON)] = []) -> SimResponse {
        if let sid { identityState.sessions.removeValue(forKey: sid) }
        let token = platformToken(user.name)
        let refresh = Tokens.opaque(24)
        identityState.refreshTokens[refresh] = user.name
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
        ] + extra), headers: tokenCookies(token, refresh))
    }

    private func refreshPlatformToken(_ req: SimRequest) -> SimResponse {
        guard let old = req.cookies["refreshToken-\(Catalogue.tenantId)"], let user = identityState.refreshTokens.removeValue(forKey: old) else {
            return .json(401, identityFail("Refresh token is missing, invalid or expired."))
        }
        let token = platformToken(user)
        let refresh = Tokens.opaque(24)
        identityState.refreshTokens[refresh] = user
        log.logins += 1
        if identityState.refreshBodyEmpty {
            // What the SDKs rely on: the status and the cookies; a tenant may send nothing else.
            var r = SimResponse.empty(200)
            r.headers = tokenCookies(token, refresh)
            return r
        }
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
