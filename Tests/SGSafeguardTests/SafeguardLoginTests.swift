import Foundation
import SGCore
import SGSafeguard
import SGTestSupport
import SGTransport
import XCTest

/// rSTS logins against sg-sim: every method, its failures, lifetime, expiry and logout.
final class SafeguardLoginTests: SimCase {
    func login(user: String?, password: String?, otp: String? = nil, provider: String? = nil,
               prompter: any Prompter = NoPrompt()) throws -> SafeguardLogin {
        var p = try safeguardProfile()
        p.username = user
        p.password = password.map { envSource($0) }
        p.otp = otp.map { envSource($0) }
        if let provider { p.provider = provider }
        return try SafeguardLogin(profile: p, prompter: prompter)
    }

    func pw(_ user: String) -> String { ready.users.rsts[user]!.password }

    func testPasswordGrantGivesUserTokenWithLifetime() throws {
        let l = try login(user: "alice", password: pw("alice"))
        let t = try l.login(.password)
        XCTAssertFalse(t.token.isEmpty)
        XCTAssertEqual(t.method, .password)
        XCTAssertEqual(t.username, "alice")
        XCTAssertEqual(t.provider, "local")
        XCTAssertEqual(t.secondsRemaining, 3600, accuracy: 120, "user tokens live 60 minutes in the sim")
        let minutes = try XCTUnwrap(try l.tokenLifetimeRemaining(t.token))
        XCTAssertTrue((58...60).contains(minutes), "\(minutes)")
        let grants = try simulator.log().filter { $0.path.lowercased().hasPrefix("/rsts/oauth2/token") }
        XCTAssertEqual(grants.map(\.status), [200])
    }

    func testDisabledPasswordGrantTellsToUsePKCE() throws {
        let l = try login(user: "bob", password: pw("bob"))
        let e = assertSGError(.noPermission, try l.login(.password))
        XCTAssertTrue(e?.message.contains("sg-token login --method pkce") == true, e?.message ?? "")
    }

    func testWrongPasswordIsDenied() throws {
        let l = try login(user: "alice", password: "not-the-password")
        assertSGError(.noPermission, try l.login(.password))
        let e = assertSGError(.noPermission, try l.login(.pkce))
        XCTAssertFalse(e?.message.contains("not-the-password") == true, "no secret in error text")
    }

    func testPKCELoginWithoutMFA() throws {
        let l = try login(user: "bob", password: pw("bob"))
        let t = try l.login(.pkce)
        XCTAssertEqual(t.method, .pkce)
        XCTAssertEqual(t.username, "bob")
        XCTAssertNotNil(try l.tokenLifetimeRemaining(t.token))
        let steps = try simulator.log().compactMap { e -> String? in
            guard let r = e.path.range(of: "loginRequestStep=") else { return nil }
            return String(e.path[r.upperBound...].prefix(1))
        }
        XCTAssertEqual(steps, ["1", "3", "6"])
    }

    func testPKCEWithMFATakesTheCodeFromTheProfileSource() throws {
        try simulator.post("/admin/reset-log")
        let l = try login(user: "carol", password: pw("carol"), otp: ready.users.otp)
        let t = try l.login(.pkce)
        XCTAssertEqual(t.username, "carol")
        let steps = try simulator.log().compactMap { e -> String? in
            guard let r = e.path.range(of: "loginRequestStep=") else { return nil }
            return String(e.path[r.upperBound...].prefix(1))
        }
        XCTAssertEqual(steps, ["1", "3", "7", "5", "6"])
    }

    func testPKCEWithMFAAsksTheTerminalWhenNoSource() throws {
        let script = ScriptedPrompt(secrets: [pw("carol"), ready.users.otp])
        let l = try login(user: "carol", password: nil, prompter: script)
        XCTAssertEqual(try l.login(.pkce).username, "carol")
        XCTAssertEqual(script.asked.count, 2)
        XCTAssertTrue(script.asked[1].contains("One-time code"), script.asked[1])
    }

    func testWrongOneTimeCodeIsDenied() throws {
        let l = try login(user: "carol", password: pw("carol"), otp: "000000")
        let e = assertSGError(.noPermission, try l.login(.pkce))
        XCTAssertTrue(e?.message.contains("one-time code") == true, e?.message ?? "")
        XCTAssertTrue(try simulator.log().contains { $0.path.contains("loginRequestStep=5") && $0.status == 203 })
    }

    func testNoPasswordOrCodeAndNoTerminalIsLoginRequiredNotAHang() throws {
        let noPassword = try login(user: "alice", password: nil)
        let e1 = assertSGError(.noPermission, try noPassword.login(.password))
        XCTAssertEqual(e1, .loginRequired(profile: "sim"))
        let noCode = try login(user: "carol", password: pw("carol"), otp: nil)
        let e2 = assertSGError(.noPermission, try noCode.login(.pkce))
        XCTAssertEqual(e2, .loginRequired(profile: "sim"))
    }

    func testExpiredTokenIsLoginRequired() throws {
        let l = try login(user: "alice", password: pw("alice"))
        let t = try l.login(.password)
        XCTAssertNotNil(try l.tokenLifetimeRemaining(t.token))
        try simulator.post("/admin/expire-tokens")
        XCTAssertEqual(assertSGError(.noPermission, try l.tokenLifetimeRemaining(t.token)), .loginRequired(profile: "sim"))
        XCTAssertEqual(assertSGError(.noPermission, try l.validate(t.token)), .loginRequired(profile: "sim"))
    }

    func testLogoutInvalidatesTheToken() throws {
        let l = try login(user: "alice", password: pw("alice"))
        let t = try l.login(.password)
        XCTAssertTrue(l.logout(t.token))
        XCTAssertEqual(assertSGError(.noPermission, try l.tokenLifetimeRemaining(t.token)), .loginRequired(profile: "sim"))
        XCTAssertTrue(try simulator.log().contains { $0.path.lowercased().hasSuffix("/token/logout") && $0.status == 204 })
    }

    func testExistingTokenFromASourceIsValidated() throws {
        let l = try login(user: "alice", password: pw("alice"))
        let minted = try l.login(.password)
        let source = envSource(minted.token.unsafeString())
        let accepted = try l.login(existingTokenFrom: source)
        XCTAssertEqual(accepted.method, .token)
        XCTAssertTrue(accepted.token.constantTimeEquals(minted.token))
        XCTAssertEqual(accepted.secondsRemaining, 3600, accuracy: 120)
        assertSGError(.noPermission, try l.login(existingTokenFrom: envSource("not-a-token")))
    }

    func testCertificateLogin() throws {
        let l = try login(user: nil, password: nil)
        let t = try l.login(.certificate)
        XCTAssertEqual(t.method, .certificate)
        XCTAssertEqual(t.provider, "certificate")
        XCTAssertEqual(t.username, "sg-client")
        XCTAssertNotNil(try l.tokenLifetimeRemaining(t.token))
        XCTAssertTrue(try simulator.log().contains { $0.path.lowercased().hasPrefix("/rsts/oauth2/token") && $0.cert == "sg-client" && $0.status == 200 })
    }

    func testCertificateLoginWithoutClientCertificateIsAConfigError() throws {
        var p = try safeguardProfile()
        p.tls.client = nil
        let l = try SafeguardLogin(profile: p, prompter: NoPrompt())
        assertSGError(.config, try l.login(.certificate))
    }

    func testProviderResolutionThreePasses() throws {
        let rsts = try login(user: nil, password: nil).rsts
        XCTAssertEqual(rsts.resolveProvider("LOCAL").id, "local", "pass 1: exact id, any case")
        XCTAssertEqual(rsts.resolveProvider("Corp.Example").id, "ad1", "pass 2: exact name")
        XCTAssertEqual(rsts.resolveProvider("Corp.Example").scope, "rsts:sts:primaryproviderid:ad1")
        XCTAssertEqual(rsts.resolveProvider("AD").id, "ad1", "pass 3: part of an id")
        XCTAssertEqual(rsts.resolveProvider("cert").id, "certificate")
        XCTAssertEqual(rsts.resolveProvider("no-such-provider").id, "no-such-provider", "unknown: as given")
        // The listing is anonymous.
        XCTAssertTrue(try simulator.log().filter { $0.path.lowercased().contains("authenticationproviders") }.allSatisfy { $0.auth == "none" })
        // Listing fails: the string is used as given.
        try simulator.admin("/admin/fault", json: ["status": 500, "count": 1, "path": "/service/core/v4/AuthenticationProviders"])
        XCTAssertEqual(rsts.resolveProvider("corp.example").id, "corp.example")
    }

    func testProviderByDomainNameLogsIn() throws {
        let t = try login(user: "alice", password: pw("alice"), provider: "corp.example").login(.password)
        XCTAssertEqual(t.provider, "ad1")
        let pkce = try login(user: "bob", password: pw("bob"), provider: "CORP.EXAMPLE").login(.pkce)
        XCTAssertEqual(pkce.provider, "ad1")
    }

    func testBuiltInProvidersMatchWithoutListing() {
        XCTAssertEqual(IdentityProvider.match("certificate", in: [])?.id, "certificate")
        XCTAssertEqual(IdentityProvider.match("Local", in: [])?.id, "local")
        XCTAssertNil(IdentityProvider.match("ad1", in: []))
        let listed = [IdentityProvider(id: "CFF5DF90-27D6", name: "External Federation", scope: "rsts:sts:primaryproviderid:cff5df90-27d6")]
        XCTAssertEqual(IdentityProvider.match("external federation", in: listed)?.scope, "rsts:sts:primaryproviderid:cff5df90-27d6")
        XCTAssertEqual(IdentityProvider.match("cff5", in: listed)?.id, "CFF5DF90-27D6")
    }

    func testTooManyRequestsIsRetriedThenSucceeds() throws {
        try simulator.post("/admin/reset-log")
        try simulator.admin("/admin/fault", json: ["status": 429, "count": 2, "retryAfter": 0, "path": "/RSTS/oauth2/token"])
        let t = try login(user: "alice", password: pw("alice")).login(.password)
        XCTAssertFalse(t.token.isEmpty)
        let grants = try simulator.log().filter { $0.path.lowercased().hasPrefix("/rsts/oauth2/token") }
        XCTAssertEqual(grants.map(\.status), [429, 429, 200])
    }

    func testTooManyRequestsThatNeverEndIsATemporaryFailure() throws {
        try simulator.admin("/admin/fault", json: ["status": 429, "count": 20, "retryAfter": 0, "path": "/RSTS/oauth2/token"])
        assertSGError(.tempFailure, try login(user: "alice", password: pw("alice")).login(.password))
    }

    func testDefaultMethodIsTheProfilesOrPKCE() throws {
        var p = try safeguardProfile()
        XCTAssertEqual(try SafeguardLogin(profile: p, prompter: NoPrompt()).defaultMethod, p.loginMethod.flatMap(SafeguardLoginMethod.init) ?? .pkce)
        p.loginMethod = "certificate"
        XCTAssertEqual(try SafeguardLogin(profile: p, prompter: NoPrompt()).defaultMethod, .certificate)
        p.loginMethod = nil
        XCTAssertEqual(try SafeguardLogin(profile: p, prompter: NoPrompt()).defaultMethod, .pkce)
    }
}
