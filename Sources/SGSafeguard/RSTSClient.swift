import SGCore
import SGTransport

/// The wire calls of a Safeguard user login: the rSTS grants (`/RSTS/oauth2/token`), the PKCE
/// LoginController steps, the Core token exchange, lifetime and logout (safeguard-api.md §2).
///
/// It takes credentials as values and never asks anybody; `SafeguardLogin` decides where the
/// password and the one-time code come from.
///
///     let rsts = try RSTSClient(profile: profile)
///     let sts = try rsts.passwordGrant(username: "alice", password: pw, provider: rsts.resolveProvider("local"))
///     let token = try rsts.loginResponse(stsAccessToken: sts, method: .password, provider: "local")
public final class RSTSClient: Sendable {
    public let profile: SafeguardProfile
    public let http: HTTPClient

    public static let redirectURI = "urn:InstalledApplication"

    public init(profile: SafeguardProfile, http: HTTPClient? = nil) throws {
        self.profile = profile
        self.http = try http ?? HTTPClient(profile: profile)
    }

    var core: String { "/service/core/v\(profile.apiVersion)" }

    // MARK: identity providers

    /// `GET AuthenticationProviders`, anonymously.
    public func providers() throws -> [IdentityProvider] {
        let response = try http.send(HTTPRequest(.get, "\(core)/AuthenticationProviders"))
        guard response.isSuccess else { throw SafeguardAPIError(response).loginError(what: "listing identity providers") }
        guard let list = try JSONValue.parse(response.body).arrayValue else {
            throw SGError.unexpectedResponse("AuthenticationProviders: expected a JSON array")
        }
        return list.compactMap { p in
            guard let id = p["RstsProviderId"]?.text, !id.isEmpty else { return nil }
            return IdentityProvider(id: id, name: p["Name"]?.text, scope: p["RstsProviderScope"]?.text.flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// Resolves what the user typed (id, name or part of an id) to a provider. When the list
    /// cannot be fetched or nothing matches, the given string is used as the id (as PySafeguard does).
    public func resolveProvider(_ wanted: String?) -> IdentityProvider {
        let wanted = wanted ?? "local"
        let listed: [IdentityProvider]
        do { listed = try providers() } catch {
            Log.logger.debug("identity providers not listed (\(error)); using '\(wanted)' as given")
            listed = []
        }
        return IdentityProvider.match(wanted, in: listed) ?? IdentityProvider(id: wanted)
    }

    // MARK: grants

    /// Resource-owner password grant. A disabled grant is reported with the PKCE hint.
    public func passwordGrant(username: String, password: SecretBytes, provider: IdentityProvider) throws -> SecretBytes {
        try tokenRequest([("grant_type", .text("password")), ("username", .text(username)),
                          ("password", .string(password)), ("scope", .text(provider.scope))],
                         what: "password login of \(username) at \(provider.id)")
    }

    /// Client-certificate grant: the profile's `client:` identity on the TLS connection.
    public func certificateGrant(provider: IdentityProvider = IdentityProvider(id: "certificate")) throws -> SecretBytes {
        guard http.hasClientCertificate else {
            throw SGError.config("profile \(profile.name) has no client certificate: certificate login needs 'client:' (cert+key or pkcs12)")
        }
        return try tokenRequest([("grant_type", .text("client_credentials")), ("scope", .text(provider.scope))],
                                what: "certificate login")
    }

    /// Non-interactive PKCE through the LoginController (steps 1, 3, [7, 5], 6), then the
    /// `authorization_code` grant. `otp` is called only when the appliance asks for a second factor,
    /// with the appliance's message.
    public func pkceGrant(username: String, password: SecretBytes, provider: IdentityProvider,
                          otp: (_ message: String?) throws -> SecretBytes) throws -> SecretBytes {
        let secrets = try PKCESecrets()
        let jar = CookieJar()
        jar.set("CsrfToken", secrets.csrf)
        let base: [(String, SecretBytes)] = [
            ("directoryComboBox", SecretBytes(string: provider.id)),
            ("usernameTextbox", SecretBytes(string: username)),
            ("passwordTextbox", password),
            ("csrfTokenTextbox", secrets.csrf),
        ]
        func step(_ n: Int, _ extra: [(String, SecretBytes)] = []) throws -> HTTPResponse {
            var r = HTTPRequest(.post, "/RSTS/UserLogin/LoginController?response_type=code&code_challenge_method=S256"
                + "&code_challenge=\(secrets.challenge)&redirect_uri=\(Self.redirectURI)&loginRequestStep=\(n)")
            r.setFormBody(URLEncoding.form(base + extra))
            r.addCookies(from: jar)
            let response = try http.send(r)
            jar.store(from: response)
            return response
        }
        let who = "PKCE login of \(username) at \(provider.id)"

        let s1 = try step(1)
        guard s1.isSuccess else { throw SafeguardAPIError(s1).loginError(what: "\(who) (step 1)") }

        let s3 = try step(3)
        guard s3.isSuccess else {
            let e = SafeguardAPIError(s3)
            if s3.status == 401 || s3.status == 403 { throw SGError.denied("\(who): \(e.message ?? "credentials rejected") (\(s3.status))") }
            throw e.loginError(what: who)
        }
        let primary = try? JSONValue.parse(s3.body)
        if let secondary = primary?["SecondaryProviderID"]?.text, !secondary.isEmpty {
            let s7 = try step(7)
            guard s7.isSuccess else { throw SafeguardAPIError(s7).loginError(what: "\(who) (second factor \(secondary))") }
            let challenge = try? JSONValue.parse(s7.body)
            let state = challenge?["State"]?.text ?? ""
            let code = try otp(challenge?["Message"]?.text)
            let s5 = try step(5, [("secondaryLoginTextbox", code), ("secondaryAuthenticationStateTextbox", SecretBytes(string: state))])
            if s5.status == 203 {
                throw SGError.denied("\(who): the one-time code was rejected (\(SafeguardAPIError(s5).message ?? "203"))")
            }
            guard s5.isSuccess else {
                let e = SafeguardAPIError(s5)
                if s5.status == 401 || s5.status == 403 { throw SGError.denied("\(who): second factor rejected: \(e.summary)") }
                throw e.loginError(what: "\(who) (second factor)")
            }
        }

        let s6 = try step(6)
        guard s6.isSuccess else { throw SafeguardAPIError(s6).loginError(what: "\(who) (claims)") }
        guard let url = try? JSONValue.parse(s6.body)["RelyingPartyUrl"]?.text,
              let code = Self.queryParameter("code", of: url) else {
            throw SGError.unexpectedResponse("\(who): the appliance's answer holds no RelyingPartyUrl with a code")
        }
        return try tokenRequest([("grant_type", .text("authorization_code")), ("redirect_uri", .text(Self.redirectURI)),
                                 ("code", .string(SecretBytes(string: code))), ("code_verifier", .string(secrets.verifier))],
                                what: "\(who) (code exchange)")
    }

    /// `code` of `urn:InstalledApplication?code=...` or `https://host/path?x=1&code=...#frag`.
    static func queryParameter(_ name: String, of url: String) -> String? {
        guard let q = url.firstIndex(of: "?") else { return nil }
        var query = url[url.index(after: q)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        return URLEncoding.parameters(query).first { $0.0 == name }.map(\.1).flatMap { $0.isEmpty ? nil : $0 }
    }

    private func tokenRequest(_ fields: [(String, JSONValue)], what: String) throws -> SecretBytes {
        var r = HTTPRequest(.post, "/RSTS/oauth2/token")
        r.setJSONBody(JSONValue.object(fields).serialized())
        let response = try http.send(r)
        guard response.isSuccess else { throw SafeguardAPIError(response).loginError(what: what) }
        let json: JSONValue
        do { json = try JSONValue.parse(response.body) } catch {
            throw SGError.unexpectedResponse("\(what): the rSTS answer is not JSON")
        }
        guard let token = json["access_token"], case .string(let value) = token, !value.isEmpty else {
            throw SGError.unexpectedResponse("\(what): the rSTS answer has no access_token")
        }
        return value
    }

    // MARK: Core token

    /// Exchanges an rSTS access token for a Safeguard user token; requires `Status == "Success"`.
    public func loginResponse(stsAccessToken: SecretBytes, method: SafeguardLoginMethod, provider: String?, username: String? = nil) throws -> UserToken {
        var r = HTTPRequest(.post, "\(core)/Token/LoginResponse")
        r.setJSONBody(JSONValue.object([("StsAccessToken", .string(stsAccessToken))]).serialized())
        let response = try http.send(r)
        guard response.isSuccess else { throw SafeguardAPIError(response).loginError(what: "token exchange (LoginResponse)") }
        let json: JSONValue
        do { json = try JSONValue.parse(response.body) } catch {
            throw SGError.unexpectedResponse("token exchange (LoginResponse): the answer is not JSON")
        }
        let status = json["Status"]?.text ?? "(none)"
        guard status.lowercased() == "success" else {
            throw SGError.denied("token exchange (LoginResponse): the appliance answered Status \(status)")
        }
        guard let value = json["UserToken"], case .string(let token) = value, !token.isEmpty else {
            throw SGError.unexpectedResponse("token exchange (LoginResponse): no UserToken in the answer")
        }
        let minutes = Self.minutes(response.header("X-TokenLifetimeRemaining")) ?? json["TokenLifetimeRemaining"]?.intValue
            ?? (try? tokenLifetimeRemaining(token)).flatMap { $0 }
        return UserToken(token: token, expiresAt: WallClock.now + Double(minutes ?? 10) * 60,
                         username: json["UserName"]?.text ?? username, provider: provider, method: method,
                         appliance: response.appliance)
    }

    /// Minutes the token has left (`X-TokenLifetimeRemaining` on `GET LoginMessage`); nil when
    /// the appliance does not say. A rejected token throws `SGError.loginRequired`.
    public func tokenLifetimeRemaining(_ token: SecretBytes) throws -> Int? {
        var r = HTTPRequest(.get, "\(core)/LoginMessage")
        r.authorization = ("Bearer ", token)
        let response = try http.send(r)
        if response.status == 401 { throw SGError.loginRequired(profile: profile.name) }
        guard response.isSuccess else { throw SafeguardAPIError(response).loginError(what: "token lifetime (LoginMessage)") }
        return Self.minutes(response.header("X-TokenLifetimeRemaining"))
    }

    /// Ends the token's session (`POST Token/Logout`). Best effort: false when it could not be done.
    @discardableResult
    public func logout(_ token: SecretBytes) -> Bool {
        var r = HTTPRequest(.post, "\(core)/Token/Logout")
        r.authorization = ("Bearer ", token)
        r.headers.append(("Content-Type", "application/json"))
        do {
            let response = try http.send(r, deadline: Deadline(seconds: min(10, profile.tls.totalTimeout)))
            return response.isSuccess || response.status == 401
        } catch {
            Log.logger.debug("logout failed: \(error)")
            return false
        }
    }

    /// A header's minutes, bounded (a year at most) so that no value from the network can trap.
    static func minutes(_ header: String?) -> Int? {
        guard let h = header?.split(separator: ",").first else { return nil }
        return HeaderNumber.decimal(h.utf8, limit: 525_600).map { Int($0) }
    }
}
