import Foundation
import SGTestSupport
import XCTest

/// CyberArk Identity: password, OOB polling, PodFqdn redirect, refresh, service user.
final class IdentityTests: SimTestCase {
    private func post(_ path: String, _ body: [String: Any], jar: String? = nil, base: String? = nil) throws -> CurlResult {
        var extra = ["-H", "X-IDAP-NATIVE-CLIENT: true", "-H", "OobIdPAuth: true"]
        if let jar { extra += ["-b", jar, "-c", jar] }
        return try Curl.postJSON((base ?? sim.identityURL) + path, sim, body, extra: extra)
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

        let refreshed = try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST", "-b", j, "-c", j, "\(sim.identityURL)/OAuth2/RefreshPlatformToken"])
        XCTAssertEqual(refreshed.status, 200, refreshed.text)
        XCTAssertTrue(refreshed.headers.contains("idToken-\(tenant)="))
        XCTAssertNotEqual((refreshed.object["Result"] as? [String: Any])?["Token"] as? String, token)
        // The old refresh token is spent.
        let stale = try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST", "-H", "Cookie: refreshToken-\(tenant)=\(r["RefreshToken"]!)",
                                  "\(sim.identityURL)/OAuth2/RefreshPlatformToken"])
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
        let a = try Curl.run(["-s", "--cacert", sim.ca, "-H", "Authorization: Bearer \(access)",
                              "\(sim.identityURL)/OAuth2/Authorize/\(svc.app)?client_id=\(svc.app)&response_type=id_token&scope=openid+profile+api&redirect_uri=https%3A%2F%2Fcyberark.cloud%2Fredirect"])
        XCTAssertEqual(a.status, 302)
        let location = try XCTUnwrap(a.header("Location"))
        let fragment = try XCTUnwrap(location.split(separator: "#", maxSplits: 1).last)
        let idToken = try XCTUnwrap(formPairs(String(fragment))["id_token"])
        XCTAssertNotNil(try claims(idToken)["exp"] as? Int)

        let bad = try Curl.run(["-s", "--cacert", sim.ca, "-u", "\(svc.name):wrong", "-d", "grant_type=client_credentials&scope=api",
                                "\(sim.identityURL)/Oauth2/Token/\(svc.app)"])
        XCTAssertEqual(bad.status, 401)
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
