import Foundation
import SGTestSupport
import XCTest

/// rSTS logins (password, certificate, PKCE with MFA), the token exchange, lifetime and logout.
final class RSTSTests: SimTestCase {
    private var tokenURL: String { "\(sim.baseURL)/RSTS/oauth2/token" }

    private func userToken(fromSts sts: String) throws -> String {
        let r = try Curl.postJSON("\(sim.baseURL)/service/core/v4/Token/LoginResponse", sim, ["StsAccessToken": sts])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["Status"] as? String, "Success")
        XCTAssertFalse(r.text.hasSuffix("\"}"), "UserToken/Status are not the last member")
        XCTAssertNotNil(r.text.range(of: #""UserToken":"[-0-9A-Za-z_.]+","#, options: .regularExpression), r.text)
        return try XCTUnwrap(r.object["UserToken"] as? String)
    }

    private func me(_ token: String) throws -> CurlResult {
        try Curl.run(["-s", "--cacert", sim.ca, "-H", "Authorization: Bearer \(token)", "\(sim.baseURL)/service/core/v4/Me"])
    }

    func testPasswordGrantLoginResponseAndLogout() throws {
        let alice = try XCTUnwrap(sim.users.rsts["alice"])
        // PySafeguard's double slash.
        let r = try Curl.postJSON("\(sim.baseURL)/RSTS//oauth2/token", sim,
                                  ["grant_type": "password", "username": "alice", "password": alice.password,
                                   "scope": "rsts:sts:primaryproviderid:local"])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertNotNil(r.text.range(of: #""access_token":"[-0-9A-Za-z_.]+","#, options: .regularExpression), r.text)
        XCTAssertEqual(r.object["token_type"] as? String, "Bearer")
        XCTAssertNotNil(r.object["expires_in"] as? Int)
        let token = try userToken(fromSts: try XCTUnwrap(r.object["access_token"] as? String))

        let m = try me(token)
        XCTAssertEqual(m.status, 200)
        XCTAssertEqual(m.object["Name"] as? String, "alice")
        XCTAssertGreaterThan(Int(m.header("X-TokenLifetimeRemaining") ?? "") ?? 0, 0)
        for path in ["/service/core/v4/LoginMessage", "/service/appliance/v4/SystemTime"] {
            let x = try Curl.run(["-s", "--cacert", sim.ca, "-H", "Authorization: Bearer \(token)", sim.baseURL + path])
            XCTAssertEqual(x.status, 200, path)
            XCTAssertNotNil(x.header("X-TokenLifetimeRemaining"), path)
        }
        // The STS token is single-use for LoginResponse.
        let again = try Curl.postJSON("\(sim.baseURL)/service/core/v4/Token/LoginResponse", sim,
                                      ["StsAccessToken": r.object["access_token"] as! String])
        XCTAssertEqual(again.status, 400)
        XCTAssertEqual(again.object["Code"] as? Int, 60519)

        let out = try Curl.run(["-s", "--cacert", sim.ca, "-X", "POST", "-H", "Authorization: Bearer \(token)",
                                "-H", "Content-Type: application/json", "-d", "", "\(sim.baseURL)/service/core/v4/Token/Logout"])
        XCTAssertEqual(out.status, 204)
        XCTAssertEqual(try me(token).status, 401)
    }

    func testFormBodyAndWrongPassword() throws {
        let ok = try Curl.run(["-s", "--cacert", sim.ca, "--data-urlencode", "grant_type=password", "--data-urlencode", "username=alice",
                               "--data-urlencode", "password=\(sim.users.rsts["alice"]!.password)",
                               "--data-urlencode", "scope=rsts:sts:primaryproviderid:ad1", tokenURL])
        XCTAssertEqual(ok.status, 200, ok.text)
        let bad = try Curl.postJSON(tokenURL, sim, ["grant_type": "password", "username": "alice", "password": "nope",
                                                    "scope": "rsts:sts:primaryproviderid:local"])
        XCTAssertEqual(bad.status, 401)
        XCTAssertEqual(bad.object["success"] as? Bool, false)
        XCTAssertNotNil(bad.object["error"] as? String)
        XCTAssertNotNil(bad.object["error_description"] as? String)
    }

    func testResourceOwnerGrantDisabledForBob() throws {
        let r = try Curl.postJSON(tokenURL, sim, ["grant_type": "password", "username": "bob",
                                                  "password": sim.users.rsts["bob"]!.password,
                                                  "scope": "rsts:sts:primaryproviderid:local"])
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.object["error"] as? String, "unauthorized_client")
        XCTAssertTrue((r.object["error_description"] as? String ?? "").lowercased().contains("resource owner"))
        XCTAssertEqual(r.object["success"] as? Bool, false)
    }

    func testClientCredentialsNeedsTheCertificate() throws {
        let body = #"{"grant_type":"client_credentials","scope":"rsts:sts:primaryproviderid:certificate"}"#
        let withCert = try Curl.run(["-s", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1",
                                     "-H", "Content-Type: application/json", "-d", body, tokenURL])
        XCTAssertEqual(withCert.status, 200, withCert.text)
        XCTAssertEqual(try me(try userToken(fromSts: withCert.object["access_token"] as! String)).object["Name"] as? String, "sg-client")
        let without = try Curl.run(["-s", "--cacert", sim.ca, "-H", "Content-Type: application/json", "-d", body, tokenURL])
        XCTAssertEqual(without.status, 403)
        XCTAssertEqual(without.object["Code"] as? Int, 60094)
    }

    func testAuthenticationProvidersAreAnonymous() throws {
        let r = try Curl.run(["-s", "--cacert", sim.ca, "\(sim.baseURL)/service/core/v4/AuthenticationProviders"])
        let list = try XCTUnwrap(r.json as? [[String: Any]])
        XCTAssertEqual(Set(list.compactMap { $0["RstsProviderId"] as? String }), ["local", "certificate", "ad1"])
        XCTAssertTrue(list.contains { $0["Name"] as? String == "corp.example" })
    }

    // ---- PKCE -------------------------------------------------------------------------------

    private struct PKCE {
        let verifier = UUID().uuidString + UUID().uuidString
        let csrf = UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }

    private func challenge(_ verifier: String) throws -> String {
        try Curl.sh("printf %s '\(verifier)' | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '='")
    }

    private func step(_ n: Int, _ p: PKCE, jar: String, user: String, password: String, extra: [String] = [],
                      encodedRedirect: Bool = false) throws -> CurlResult {
        let redirect = encodedRedirect ? "urn%3AInstalledApplication" : "urn:InstalledApplication"
        let url = "\(sim.baseURL)/RSTS/UserLogin/LoginController?response_type=code&code_challenge_method=S256"
            + "&code_challenge=\(try challenge(p.verifier))&redirect_uri=\(redirect)&loginRequestStep=\(n)"
        var args = ["-s", "--cacert", sim.ca, "-b", jar, "-c", jar, "-H", "Accept: application/json",
                    "--data-urlencode", "directoryComboBox=local", "--data-urlencode", "usernameTextbox=\(user)",
                    "--data-urlencode", "passwordTextbox=\(password)", "--data-urlencode", "csrfTokenTextbox=\(p.csrf)"]
        for e in extra { args += ["--data-urlencode", e] }
        return try Curl.run(args + [url])
    }

    private func cookieJar(_ p: PKCE) throws -> String {
        let dir = try tempDir("jar")
        let jar = dir.appendingPathComponent("jar").path
        // Netscape cookie-jar line, as safeguard-bash writes it (secure TRUE, path /RSTS).
        try "127.0.0.1\tFALSE\t/RSTS\tTRUE\t0\tCsrfToken\t\(p.csrf)\n".write(toFile: jar, atomically: true, encoding: .utf8)
        return jar
    }

    func testPKCEWithMFAForCarol() throws {
        let p = PKCE(), jar = try cookieJar(p)
        let pw = sim.users.rsts["carol"]!.password
        XCTAssertEqual(try step(1, p, jar: jar, user: "carol", password: pw).status, 200)
        let primary = try step(3, p, jar: jar, user: "carol", password: pw, encodedRedirect: true)
        XCTAssertEqual(primary.status, 200, primary.text)
        XCTAssertFalse((primary.object["SecondaryProviderID"] as? String ?? "").isEmpty)
        let initMFA = try step(7, p, jar: jar, user: "carol", password: pw)
        XCTAssertTrue([200, 203].contains(initMFA.status))
        let state = try XCTUnwrap(initMFA.object["State"] as? String)
        XCTAssertNotNil(initMFA.object["Message"])
        let wrong = try step(5, p, jar: jar, user: "carol", password: pw,
                             extra: ["secondaryLoginTextbox=000000", "secondaryAuthenticationStateTextbox=\(state)"])
        XCTAssertEqual(wrong.status, 203)
        XCTAssertNotNil(wrong.object["Message"])
        XCTAssertEqual(try step(6, p, jar: jar, user: "carol", password: pw).status, 401, "no code before the OTP")
        let otp = try step(5, p, jar: jar, user: "carol", password: pw,
                           extra: ["secondaryLoginTextbox=\(sim.users.otp)", "secondaryAuthenticationStateTextbox=\(state)"])
        XCTAssertEqual(otp.status, 200)
        let claims = try step(6, p, jar: jar, user: "carol", password: pw)
        let rp = try XCTUnwrap(claims.object["RelyingPartyUrl"] as? String, claims.text)
        XCTAssertTrue(rp.hasPrefix("urn:InstalledApplication?code="))
        let code = String(rp.dropFirst("urn:InstalledApplication?code=".count))

        let badVerifier = try Curl.postJSON(tokenURL, sim, ["grant_type": "authorization_code", "redirect_uri": "urn:InstalledApplication",
                                                            "code": code, "code_verifier": "wrong"])
        XCTAssertEqual(badVerifier.status, 400)
        // A refused verifier burns the code: start again and redeem properly.
        let p2 = PKCE(), jar2 = try cookieJar(p2)
        _ = try step(1, p2, jar: jar2, user: "carol", password: pw)
        _ = try step(3, p2, jar: jar2, user: "carol", password: pw)
        let st = try step(7, p2, jar: jar2, user: "carol", password: pw).object["State"] as? String ?? ""
        _ = try step(5, p2, jar: jar2, user: "carol", password: pw,
                     extra: ["secondaryLoginTextbox=\(sim.users.otp)", "secondaryAuthenticationStateTextbox=\(st)"])
        let rp2 = try XCTUnwrap(try step(6, p2, jar: jar2, user: "carol", password: pw).object["RelyingPartyUrl"] as? String)
        let code2 = String(rp2.dropFirst("urn:InstalledApplication?code=".count))
        let tok = try Curl.postJSON(tokenURL, sim, ["grant_type": "authorization_code", "redirect_uri": "urn:InstalledApplication",
                                                    "code": code2, "code_verifier": p2.verifier])
        XCTAssertEqual(tok.status, 200, tok.text)
        let user = try userToken(fromSts: try XCTUnwrap(tok.object["access_token"] as? String))
        XCTAssertEqual(try me(user).object["Name"] as? String, "carol")
    }

    func testPKCEWithoutMFAForBobAndCSRFAndWrongPassword() throws {
        let p = PKCE(), jar = try cookieJar(p)
        let pw = sim.users.rsts["bob"]!.password
        _ = try step(1, p, jar: jar, user: "bob", password: pw)
        let wrong = try step(3, p, jar: jar, user: "bob", password: "nope")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(wrong.text, "Invalid password.")
        let primary = try step(3, p, jar: jar, user: "bob", password: pw)
        XCTAssertEqual(primary.object["SecondaryProviderID"] as? String, "")
        let rp = try XCTUnwrap(try step(6, p, jar: jar, user: "bob", password: pw).object["RelyingPartyUrl"] as? String)
        let tok = try Curl.postJSON(tokenURL, sim, ["grant_type": "authorization_code", "redirect_uri": "urn:InstalledApplication",
                                                    "code": String(rp.dropFirst("urn:InstalledApplication?code=".count)),
                                                    "code_verifier": p.verifier])
        XCTAssertEqual(tok.status, 200, tok.text)

        // No CsrfToken cookie: refused.
        let dir = try tempDir("jar")
        let empty = dir.appendingPathComponent("empty").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        XCTAssertEqual(try step(1, PKCE(), jar: empty, user: "bob", password: pw).status, 400)
    }

    func testExpiredTokensAnswer401() throws {
        let r = try Curl.postJSON(tokenURL, sim, ["grant_type": "password", "username": "alice",
                                                  "password": sim.users.rsts["alice"]!.password,
                                                  "scope": "rsts:sts:primaryproviderid:local"])
        let token = try userToken(fromSts: try XCTUnwrap(r.object["access_token"] as? String))
        XCTAssertEqual(try me(token).status, 200)
        try simulator.post("/admin/expire-tokens")
        XCTAssertEqual(try me(token).status, 401)
    }
}
