import Foundation
import SGTestSupport
import XCTest

/// CyberArk Identity: password, OOB polling, PodFqdn redirect, refresh, service user.
final class IdentityTests: SimTestCase {
    /// The headers ArkIdentity's session sends on every call (ark-keyring.md §4.2).
    static let sdkHeaders = ["-H", "X-IDAP-NATIVE-CLIENT: true", "-H", "OobIdPAuth: true"]
    /// This test's cookie jar, as the SDK's requests.Session keeps one.
    private var cookies: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        cookies = try jar()
    }

    private func post(_ path: String, _ body: [String: Any], jar: String? = nil, base: String? = nil,
                      headers: [String] = IdentityTests.sdkHeaders) throws -> CurlResult {
        let jar = jar ?? cookies!
        return try Curl.postJSON((base ?? sim.identityURL) + path, sim, body, extra: headers + ["-b", jar, "-c", jar])
    }

    private func start(_ user: String, jar: String? = nil, base: String? = nil) throws -> [String: Any] {
        let r = try post("/Security/StartAuthentication", ["User": user, "Version": "1.0", "PlatformTokenResponse": true,
                                                          "MfaRequestor": "DeviceAgent"], jar: jar, base: base)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.object["success"] as? Bool, true, r.text)
        return try XCTUnwrap(r.object["Result"] as? [String: Any])
    }

    private func advance(_ sid: String, _ mech: String, _ action: String, _ answer: String = "", jar: String? = nil,
                         base: String? = nil) throws -> CurlResult {
        try post("/Security/AdvanceAuthentication", ["SessionId": sid, "MechanismId": mech, "Action": action, "Answer": answer],
                 jar: jar, base: base)
    }

    private func claims(_ jwt: String) throws -> [String: Any] {
        let parts = jwt.split(separator: ".")
        XCTAssertEqual(parts.count, 3)
        var b64 = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(Data(base64Encoded: b64))) as? [String: Any])
    }

    private func jar() throws -> String { try tempDir("jar").appendingPathComponent("jar").path }

    func testPasswordLoginAndRefresh() throws {
        let j = try jar()
        let result = try start("ark-alice@sim.example", jar: j)
        let sid = try XCTUnwrap(result["SessionId"] as? String)
        let challenges = try XCTUnwrap(result["Challenges"] as? [[String: Any]])
        XCTAssertEqual(challenges.count, 1)
        let mech = try XCTUnwrap((challenges[0]["Mechanisms"] as? [[String: Any]])?.first)
        XCTAssertEqual(mech["Name"] as? String, "UP")
        XCTAssertEqual(mech["AnswerType"] as? String, "Text")
        for k in ["MechanismId", "PromptMechChosen", "PromptSelectMech"] { XCTAssertNotNil(mech[k], k) }

        let done = try advance(sid, mech["MechanismId"] as! String, "Answer",
                               sim.users.identity["ark-alice@sim.example"]!.password, jar: j)
        let r = try XCTUnwrap(done.object["Result"] as? [String: Any], done.text)
        XCTAssertEqual(r["Summary"] as? String, "LoginSuccess")
        for k in ["Auth", "Token", "RefreshToken", "TokenLifetime", "DisplayName", "CustomerID", "UserId", "PodFqdn"] {
            XCTAssertNotNil(r[k], k)
        }
        let token = try XCTUnwrap(r["Token"] as? String)
        let c = try claims(token)
        XCTAssertNotNil(c["exp"] as? Int)
        let tenant = try XCTUnwrap(c["tenant_id"] as? String)
        XCTAssertTrue(done.headers.contains("refreshToken-\(tenant)="))

        let refreshed = try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST", "-b", j, "-c", j] + Self.sdkHeaders
                                     + ["\(sim.identityURL)/OAuth2/RefreshPlatformToken"])
        XCTAssertEqual(refreshed.status, 200, refreshed.text)
        XCTAssertTrue(refreshed.headers.contains("idToken-\(tenant)="))
        XCTAssertNotEqual((refreshed.object["Result"] as? [String: Any])?["Token"] as? String, token)
        // The old refresh token is spent.
        let stale = try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST",
                                  "-H", "Cookie: refreshToken-\(tenant)=\(r["RefreshToken"]!); idToken-\(tenant)=\(token)"] + Self.sdkHeaders
                                 + ["\(sim.identityURL)/OAuth2/RefreshPlatformToken"])
        XCTAssertEqual(stale.status, 401)
    }

    func testWrongPasswordIsSuccessFalse() throws {
        let result = try start("ark-alice@sim.example")
        let r = try advance(result["SessionId"] as! String, "mech-up", "Answer", "wrong")
        XCTAssertEqual(r.object["success"] as? Bool, false)
        XCTAssertNotNil(r.object["Message"] as? String)
    }

    func testOOBSucceedsAfterThePolls() throws {
        let result = try start("ark-oob@sim.example")
        let sid = result["SessionId"] as! String
        let challenges = try XCTUnwrap(result["Challenges"] as? [[String: Any]])
        XCTAssertEqual(challenges.count, 2)
        let oobMech = try XCTUnwrap((challenges[1]["Mechanisms"] as? [[String: Any]])?.first { $0["Name"] as? String == "EMAIL" })
        let mid = try XCTUnwrap(oobMech["MechanismId"] as? String)
        let pw = try advance(sid, "mech-up", "Answer", sim.users.identity["ark-oob@sim.example"]!.password)
        XCTAssertEqual((pw.object["Result"] as? [String: Any])?["Summary"] as? String, "StartNextChallenge")
        XCTAssertEqual((try advance(sid, mid, "StartOOB").object["Result"] as? [String: Any])?["Summary"] as? String, "OobPending")
        for _ in 1..<sim.users.oobPolls {
            XCTAssertEqual((try advance(sid, mid, "Poll").object["Result"] as? [String: Any])?["Summary"] as? String, "OobPending")
        }
        let last = try advance(sid, mid, "Poll")
        XCTAssertEqual((last.object["Result"] as? [String: Any])?["Summary"] as? String, "LoginSuccess", last.text)
    }

    func testPodFqdnRedirect() throws {
        let first = try start("ark-redirect@sim.example")
        XCTAssertEqual(first["PodFqdn"] as? String, "localhost:\(sim.identityPort)")
        XCTAssertNil(first["SessionId"])
        let base = "https://\(first["PodFqdn"] as! String)"
        let second = try start("ark-redirect@sim.example", base: base)
        let sid = try XCTUnwrap(second["SessionId"] as? String)
        let r = try advance(sid, "mech-up", "Answer", sim.users.identity["ark-redirect@sim.example"]!.password, base: base)
        XCTAssertEqual((r.object["Result"] as? [String: Any])?["Summary"] as? String, "LoginSuccess")
    }

    func testServiceUserTokenAndAuthorize() throws {
        let svc = sim.users.identityService
        let t = try Curl.run(["-s", "--cacert", sim.ca, "-u", "\(svc.name):\(svc.secret)", "-H", "X-IDAP-NATIVE-CLIENT: true",
                              "-d", "grant_type=client_credentials&scope=api", "\(sim.identityURL)/Oauth2/Token/\(svc.app)"])
        XCTAssertEqual(t.status, 200, t.text)
        let access = try XCTUnwrap(t.object["access_token"] as? String)
        let a = try Curl.run(["-s", "--cacert", sim.ca, "-H", "Authorization: Bearer \(access)", "-H", "X-IDAP-NATIVE-CLIENT: true",
                              "\(sim.identityURL)/OAuth2/Authorize/\(svc.app)?client_id=\(svc.app)&response_type=id_token&scope=openid+profile+api&redirect_uri=https%3A%2F%2Fcyberark.cloud%2Fredirect"])
        XCTAssertEqual(a.status, 302)
        let location = try XCTUnwrap(a.header("Location"))
        let fragment = try XCTUnwrap(location.split(separator: "#", maxSplits: 1).last)
        let idToken = try XCTUnwrap(formPairs(String(fragment))["id_token"])
        XCTAssertNotNil(try claims(idToken)["exp"] as? Int)

        let bad = try Curl.run(["-s", "--cacert", sim.ca, "-u", "\(svc.name):wrong", "-H", "X-IDAP-NATIVE-CLIENT: true",
                                "-d", "grant_type=client_credentials&scope=api",
                                "\(sim.identityURL)/Oauth2/Token/\(svc.app)"])
        XCTAssertEqual(bad.status, 401)
    }

    private func summary(_ r: CurlResult) -> String? { (r.object["Result"] as? [String: Any])?["Summary"] as? String }

    private func passwordDone(_ user: String) throws -> (sid: String, start: [String: Any]) {
        let result = try start(user)
        let sid = try XCTUnwrap(result["SessionId"] as? String)
        let pw = try advance(sid, "mech-up", "Answer", sim.users.identity[user]!.password)
        XCTAssertEqual(pw.object["success"] as? Bool, true, pw.text)
        return (sid, result)
    }

    func testRequestsWithoutTheSDKDialectAreRefusedNamingWhatIsMissing() throws {
        let body: [String: Any] = ["User": "ark-alice@sim.example", "Version": "1.0", "PlatformTokenResponse": true, "MfaRequestor": "DeviceAgent"]
        func refused(_ r: CurlResult, naming what: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(r.status, 400, r.text, file: file, line: line)
            XCTAssertEqual(r.object["success"] as? Bool, false, file: file, line: line)
            XCTAssertTrue((r.object["Message"] as? String)?.contains(what) == true, r.text, file: file, line: line)
        }
        refused(try post("/Security/StartAuthentication", body, headers: ["-H", "OobIdPAuth: true"]), naming: "X-IDAP-NATIVE-CLIENT")
        refused(try post("/Security/StartAuthentication", body, headers: ["-H", "X-IDAP-NATIVE-CLIENT: true"]), naming: "OobIdPAuth")
        for key in ["PlatformTokenResponse", "MfaRequestor", "Version"] {
            refused(try post("/Security/StartAuthentication", body.filter { $0.key != key }), naming: key)
        }
        // The session's podloc cookie must come back.
        let sid = try XCTUnwrap(try start("ark-alice@sim.example")["SessionId"] as? String)
        refused(try advance(sid, "mech-up", "Answer", "x", jar: try jar()), naming: "podloc")
        refused(try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST", "-H", "Cookie: refreshToken-SIM1234=x"] + Self.sdkHeaders
                             + ["\(sim.identityURL)/OAuth2/RefreshPlatformToken"]), naming: "idToken-SIM1234")
        refused(try Curl.run(["-s", "--cacert", sim.ca, "-u", "a:b", "-d", "grant_type=client_credentials&scope=api",
                              "\(sim.identityURL)/Oauth2/Token/__idaptive_cybr_user_oidc"]), naming: "X-IDAP-NATIVE-CLIENT")
    }

    /// RFC 6238 appendix B (SHA-1, 8 digits), through the admin call that plays the authenticator app.
    func testTOTPMatchesRFC6238() throws {
        for (time, code) in [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (2000000000, "69279037")] {
            XCTAssertEqual(try simulator.adminObject("/admin/identity/totp?time=\(time)&digits=8")["code"] as? String, code, "T=\(time)")
        }
        XCTAssertEqual(try simulator.adminObject("/admin/identity/totp?time=59")["code"] as? String, "287082")
    }

    func testPushAnswersAValueToMatch() throws {
        let (sid, _) = try passwordDone("ark-push@sim.example")
        let started = try advance(sid, "mech-otp", "StartOOB")
        XCTAssertEqual(summary(started), "OobPending")
        let value = try XCTUnwrap((started.object["Result"] as? [String: Any])?["GeneratedAuthValue"] as? String)
        XCTAssertNotNil(Int(value))
    }

    func testEmailCodeFromTheOutboxAndWrongCodeEndsTheSession() throws {
        var (sid, start) = try passwordDone("ark-code@sim.example")
        let mechs = try XCTUnwrap(((start["Challenges"] as? [[String: Any]])?[1]["Mechanisms"] as? [[String: Any]]))
        XCTAssertEqual(mechs.map { $0["AnswerType"] as? String }, ["StartTextOob", "StartTextOob"])
        XCTAssertEqual(summary(try advance(sid, "mech-email", "StartOOB")), "OobPending")
        // The link is not clicked: polls stay pending.
        for _ in 0..<3 { XCTAssertEqual(summary(try advance(sid, "mech-email", "Poll")), "OobPending") }
        let code = try XCTUnwrap(simulator.adminObject("/admin/identity/outbox?user=ark-code@sim.example")["code"] as? String)
        XCTAssertEqual(summary(try advance(sid, "mech-email", "Answer", code)), "LoginSuccess")

        (sid, _) = try passwordDone("ark-code@sim.example")
        _ = try advance(sid, "mech-sms", "StartOOB")
        XCTAssertEqual(try advance(sid, "mech-sms", "Answer", "not-it").object["success"] as? Bool, false)
        XCTAssertEqual(try advance(sid, "mech-sms", "Poll").object["Message"] as? String, "The session is invalid or has expired.")
    }

    func testEmailLinkApprovedByTheAdminCall() throws {
        let (sid, _) = try passwordDone("ark-code@sim.example")
        _ = try advance(sid, "mech-sms", "StartOOB")
        XCTAssertEqual(try simulator.admin("/admin/identity/approve", json: ["user": "ark-code@sim.example"]).status, 200)
        XCTAssertEqual(summary(try advance(sid, "mech-sms", "Poll")), "LoginSuccess")
    }

    func testNewPackageComesWithThePasswordAnswer() throws {
        let result = try start("ark-newpackage@sim.example")
        XCTAssertEqual((result["Challenges"] as? [[String: Any]])?.count, 1, "only the password up front")
        let pw = try advance(result["SessionId"] as! String, "mech-up", "Answer", sim.users.identity["ark-newpackage@sim.example"]!.password)
        XCTAssertEqual(summary(pw), "NewPackage")
        let challenges = try XCTUnwrap((pw.object["Result"] as? [String: Any])?["Challenges"] as? [[String: Any]])
        XCTAssertEqual((challenges.first?["Mechanisms"] as? [[String: Any]])?.compactMap { $0["Name"] as? String }, ["EMAIL", "OATH"])
    }

    func testOATHAndSecurityQuestionAreTypedAnswers() throws {
        var (sid, _) = try passwordDone("ark-oath@sim.example")
        let code = try XCTUnwrap(simulator.adminObject("/admin/identity/totp")["code"] as? String)
        XCTAssertEqual(summary(try advance(sid, "mech-oath", "Answer", code)), "LoginSuccess")
        (sid, _) = try passwordDone("ark-question@sim.example")
        XCTAssertEqual(summary(try advance(sid, "mech-sq", "Answer", sim.users.securityAnswer)), "LoginSuccess")
    }

    func testExternalIdPLoginThroughOobAuthStatus() throws {
        let result = try start("ark-idp@sim.example")
        XCTAssertNil(result["Challenges"])
        for k in ["IdpRedirectUrl", "IdpRedirectShortUrl", "IdpLoginSessionId"] { XCTAssertNotNil(result[k] as? String, k) }
        XCTAssertEqual(result["IdpOobAuthPinRequired"] as? Bool, false)
        let id = result["IdpLoginSessionId"] as! String
        let pending = try post("/Security/OobAuthStatus", ["SessionId": id])
        XCTAssertEqual((pending.object["Result"] as? [String: Any])?["State"] as? String, "Pending", pending.text)
        XCTAssertEqual(try simulator.admin("/admin/identity/idp-complete", json: ["user": "ark-idp@sim.example"]).status, 200)
        let done = try XCTUnwrap(try post("/Security/OobAuthStatus", ["SessionId": id]).object["Result"] as? [String: Any])
        XCTAssertEqual(done["State"] as? String, "Success")
        XCTAssertNotNil(done["Token"] as? String)
    }

    func testExternalIdPLoginWithPIN() throws {
        let result = try start("ark-idp-pin@sim.example")
        XCTAssertEqual(result["IdpOobAuthPinRequired"] as? Bool, true)
        let id = result["IdpLoginSessionId"] as! String
        let pin = try XCTUnwrap(simulator.adminObject("/admin/identity/idp-complete", json: ["user": "ark-idp-pin@sim.example"])["pin"] as? String)
        let r = try advance(id, "OOBAUTHPIN", "Answer", pin)
        XCTAssertEqual(summary(r), "LoginSuccess", r.text)
        XCTAssertNotNil((r.object["Result"] as? [String: Any])?["Token"] as? String)
    }

    func testRefreshCanAnswerWithCookiesAndAnEmptyBody() throws {
        _ = try passwordDone("ark-alice@sim.example")
        XCTAssertEqual(try simulator.admin("/admin/identity/refresh", json: ["body": "empty"]).status, 200)
        let r = try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST", "-b", cookies, "-c", cookies] + Self.sdkHeaders
                             + ["\(sim.identityURL)/OAuth2/RefreshPlatformToken"])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertTrue(r.body.isEmpty)
        XCTAssertTrue(r.headers.contains("idToken-SIM1234=") && r.headers.contains("refreshToken-SIM1234="), r.headers)
        try simulator.post("/admin/clear")
    }

    private func formPairs(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }
}
