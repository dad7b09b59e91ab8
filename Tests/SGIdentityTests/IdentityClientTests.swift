import Foundation
import SGCore
import SGIdentity
import SGTestSupport
import SGTransport
import XCTest

/// CyberArk Identity logins against sg-sim's tenant: password, OOB, PodFqdn, refresh, service user.
final class IdentityClientTests: SimCase {
    func client(user: String? = nil, password: String? = nil, mechanism: String? = nil, prompter: any Prompter = NoPrompt(),
                oobInterval: Double = 0.1, oobTimeout: Double = 20) throws -> IdentityClient {
        var p = try identityProfile()
        if let user { p.username = user }
        p.password = password.map { envSource($0) }
        p.mechanism = mechanism
        return try IdentityClient(profile: p, prompter: prompter, oobPollInterval: oobInterval, oobTimeout: oobTimeout)
    }

    func pw(_ user: String) -> String { ready.users.identity[user]!.password }

    func testPasswordLogin() throws {
        let user = "ark-alice@sim.example"
        let t = try client(user: user, password: pw(user)).login()
        XCTAssertEqual(t.username, user)
        XCTAssertEqual(t.authMethod, .identity)
        XCTAssertEqual(t.endpoint, ready.identityURL)
        XCTAssertNotNil(t.refreshToken)
        XCTAssertEqual(t.tenantId, "SIM1234")
        XCTAssertEqual(t.secondsRemaining, 900, accuracy: 60, "expiry from the JWT exp (TokenLifetime 900)")
        let exp = try XCTUnwrap(JWT.expiry(t.token))
        XCTAssertEqual(t.expiresAt, exp)
        let cookies = try XCTUnwrap(t.metadata["cookies"]?.text)
        XCTAssertTrue(cookies.contains("refreshToken-SIM1234="), "tenant cookies kept for refresh")
        XCTAssertTrue(cookies.contains("idToken-SIM1234="))
        let paths = try simulator.log().map(\.path).filter { $0.hasPrefix("/Security") }
        XCTAssertEqual(paths, ["/Security/StartAuthentication", "/Security/AdvanceAuthentication"])
    }

    func testWrongPasswordIsDenied() throws {
        let user = "ark-alice@sim.example"
        let e = assertSGError(.noPermission, try client(user: user, password: "wrong-one").login())
        XCTAssertFalse(e?.message.contains("wrong-one") == true)
    }

    func testPasswordFromTheTerminalWhenNoSource() throws {
        let user = "ark-alice@sim.example"
        let script = ScriptedPrompt(secrets: [pw(user)])
        XCTAssertEqual(try client(user: user, prompter: script).login().username, user)
        XCTAssertEqual(script.asked.count, 1)
        let e = assertSGError(.noPermission, try client(user: user).login())
        XCTAssertTrue(e?.message.contains("no terminal to ask for the password") == true, e?.message ?? "")
    }

    func testOutOfBandSucceedsAfterPolls() throws {
        let user = "ark-oob@sim.example"
        try simulator.post("/admin/reset-log")
        let t = try client(user: user, password: pw(user), mechanism: "email").login()
        XCTAssertEqual(t.username, user)
        let advances = try simulator.log().filter { $0.path == "/Security/AdvanceAuthentication" }
        // Answer(password), StartOOB, then Poll until the sim's N-th poll succeeds.
        XCTAssertEqual(advances.count, 2 + ready.users.oobPolls)
    }

    func testOutOfBandMechanismChosenOnTheTerminal() throws {
        let user = "ark-oob@sim.example"
        let script = ScriptedPrompt(lines: ["2"])
        let t = try client(user: user, password: pw(user), prompter: script).login()
        XCTAssertEqual(t.username, user)
        XCTAssertTrue(script.asked.first?.contains("Second factor") == true, "\(script.asked)")
    }

    func testOutOfBandWithoutMechanismOrTerminalFailsClearly() throws {
        let user = "ark-oob@sim.example"
        let e = assertSGError(.config, try client(user: user, password: pw(user)).login())
        XCTAssertTrue(e?.message.contains("mechanism") == true, e?.message ?? "")
        XCTAssertTrue(e?.message.contains("EMAIL") == true, e?.message ?? "")
        assertSGError(.config, try client(user: user, password: pw(user), mechanism: "fido").login())
    }

    func testOutOfBandThatIsNeverApprovedTimesOut() throws {
        let user = "ark-oob@sim.example"
        // The sim approves on the 2nd poll; a bound shorter than one poll interval allows only one.
        try simulator.post("/admin/reset-log")
        let started = Date()
        let e = assertSGError(.tempFailure, try client(user: user, password: pw(user), mechanism: "SMS",
                                                      oobInterval: 0.5, oobTimeout: 0.3).login())
        XCTAssertTrue(e?.message.contains("not approved within") == true, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "bounded")
        let advances = try simulator.log().filter { $0.path == "/Security/AdvanceAuthentication" }
        XCTAssertEqual(advances.count, 3, "Answer, StartOOB, one Poll")
    }

    func testPodFqdnRedirectIsFollowed() throws {
        let user = "ark-redirect@sim.example"
        let t = try client(user: user, password: pw(user)).login()
        XCTAssertEqual(t.endpoint, "https://localhost:\(ready.identityPort)")
        let starts = try simulator.log().filter { $0.path == "/Security/StartAuthentication" }
        XCTAssertEqual(starts.count, 2)
        // Refresh goes to the pod that answered.
        let refreshed = try client(user: user).refresh(t)
        XCTAssertEqual(refreshed.endpoint, t.endpoint)
    }

    func testRefreshGivesANewTokenAndTheOldRefreshTokenIsSpent() throws {
        let user = "ark-alice@sim.example"
        let c = try client(user: user, password: pw(user))
        let t = try c.login()
        let r = try c.refresh(t)
        XCTAssertFalse(r.token.constantTimeEquals(t.token))
        XCTAssertFalse(try XCTUnwrap(r.refreshToken).constantTimeEquals(try XCTUnwrap(t.refreshToken)))
        XCTAssertEqual(r.secondsRemaining, 900, accuracy: 60)
        XCTAssertEqual(r.username, user)
        XCTAssertTrue(r.metadata["cookies"]?.text?.contains("refreshToken-SIM1234=") == true)
        // A refresh token works once.
        XCTAssertEqual(assertSGError(.noPermission, try c.refresh(t)), .loginRequired(profile: "sim-ark"))
        // The new one works, and refreshing survives expire-tokens (refresh tokens stay valid).
        try simulator.post("/admin/expire-tokens")
        XCTAssertFalse(try c.refresh(r).token.isEmpty)
    }

    /// Issue 13 item 8: a tenant that answers refresh with the token cookies and an empty body (all
    /// the SDKs read) has spent the old refresh token; sg must take the new ones from the cookies.
    func testRefreshAnsweredWithCookiesAndAnEmptyBodyTakesTheTokensFromTheCookies() throws {
        let user = "ark-alice@sim.example"
        let c = try client(user: user, password: pw(user))
        let t = try c.login()
        XCTAssertEqual(try simulator.admin("/admin/identity/refresh", json: ["body": "empty"]).status, 200)
        defer { _ = try? simulator.post("/admin/clear") }
        let r = try c.refresh(t)
        XCTAssertFalse(r.token.constantTimeEquals(t.token), "the new token, not the old one")
        let newRefresh = try XCTUnwrap(r.refreshToken)
        XCTAssertFalse(newRefresh.constantTimeEquals(try XCTUnwrap(t.refreshToken)), "the new refresh token is kept")
        XCTAssertEqual(r.expiresAt, try XCTUnwrap(JWT.expiry(r.token)))
        XCTAssertEqual(r.tenantId, "SIM1234")
        // The old refresh token is spent; the one taken from the cookie is the live one.
        XCTAssertEqual(assertSGError(.noPermission, try c.refresh(t)), .loginRequired(profile: "sim-ark"))
        XCTAssertFalse(try c.refresh(r).token.constantTimeEquals(r.token))
        XCTAssertFalse(try simulator.log().contains { $0.status == 400 }, "sg kept the SDK's dialect")
    }

    /// ArkISPAuth keeps a base64 pickle of its cookie jar (76-character lines) in `metadata.cookies`,
    /// where sg keeps a Cookie header: a refresh of such a token must not send the pickle.
    func testRefreshOfATokenTheArkSDKWroteIgnoresItsPickledCookieJar() throws {
        let user = "ark-alice@sim.example"
        let c = try client(user: user, password: pw(user))
        let t = try c.login()
        let pickle = "gASVxwEAAAAAAACMEHJlcXVlc3RzLmNvb2tpZXOUjBFSZXF1ZXN0c0Nvb2tpZUphcpSTlCmBlH2UKIwHX3BvbGljeZSMDmh0\ndHAuY29va2llamFylIwTRGVmYXVsdENvb2tpZVBvbGljeZSTlCmBlH2U=\n"
        let arkWritten = IdentityToken(token: t.token, refreshToken: t.refreshToken, username: t.username, endpoint: t.endpoint,
                                       expiresAt: t.expiresAt, authMethod: .identity,
                                       metadata: ["env": .text("prod"), "cookies": .string(SecretBytes(string: pickle))])
        let r = try c.refresh(arkWritten)
        XCTAssertFalse(r.token.constantTimeEquals(t.token))
        XCTAssertFalse(r.metadata["cookies"]?.text?.contains("gASV") == true, "the pickle is not taken for cookies")
    }

    func testRefreshFromStoredFieldsOnly() throws {
        let user = "ark-alice@sim.example"
        let c = try client(user: user, password: pw(user))
        let t = try c.login()
        // What a cache would keep without the cookie jar: token + refresh token + endpoint.
        let stored = IdentityToken(token: t.token, refreshToken: t.refreshToken, username: t.username, endpoint: t.endpoint,
                                   expiresAt: t.expiresAt, authMethod: .identity)
        XCTAssertFalse(try c.refresh(stored).token.isEmpty)
    }

    func testServiceUser() throws {
        let c = try client()
        let t = try c.loginServiceUser()
        XCTAssertEqual(t.authMethod, .identityServiceUser)
        XCTAssertEqual(t.username, ready.users.identityService.name)
        XCTAssertNil(t.refreshToken)
        XCTAssertEqual(t.expiresAt, try XCTUnwrap(JWT.expiry(t.token)))
        XCTAssertEqual(JWT.claims(t.token)?["sub"]?.text, ready.users.identityService.name)
        let log = try simulator.log()
        XCTAssertTrue(log.contains { $0.path.hasPrefix("/Oauth2/Token/__idaptive_cybr_user_oidc") && $0.status == 200 })
        XCTAssertTrue(log.contains { $0.path.hasPrefix("/OAuth2/Authorize/__idaptive_cybr_user_oidc") && $0.status == 302 && $0.auth == "bearer" })
        // A wrong secret is denied.
        assertSGError(.noPermission, try c.loginServiceUser(secret: SecretBytes(string: "wrong")))
    }
}
