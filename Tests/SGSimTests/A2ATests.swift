import Foundation
import SGTestSupport
import XCTest

/// A2A as safeguard-bash drives it with curl.
final class A2ATests: SimTestCase {
    private func password(_ name: String) throws -> CurlResult {
        try Curl.a2a(sim, key: sim.apiKeys[name], "Credentials?type=Password")
    }

    func testPasswordsAreByteExactAfterJSONDecoding() throws {
        for name in ["demo-db", "unicode-pw", "quote-pw", "big-pw", "git-team", "ssh-rsa-pass-phrase", "bulk-07"] {
            let r = try password(name)
            XCTAssertEqual(r.exit, 0, r.stderr)
            XCTAssertEqual(r.status, 200, name)
            XCTAssertTrue(r.body.first == UInt8(ascii: "\""), "\(name): a JSON string literal")
            let value = try XCTUnwrap(r.json as? String, name)
            XCTAssertEqual(Array(value.utf8), Array(try XCTUnwrap(sim.passwords[name]).utf8), name)
        }
        XCTAssertEqual(try XCTUnwrap(try password("big-pw").json as? String).utf8.count, 4096)
        XCTAssertEqual(try password("unicode-pw").json as? String, "pässwörd-秘密-🔑")
        let quote = try XCTUnwrap(try password("quote-pw").json as? String)
        for c in ["\"", "'", "\\", "$"] { XCTAssertTrue(quote.contains(c), c) }
    }

    func testTypeAndServiceSegmentAreCaseInsensitive() throws {
        let r = try Curl.run(["-s", "-S", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1",
                              "-H", "Authorization: A2A \(sim.apiKeys["demo-db"]!)",
                              "\(sim.baseURL)/service/A2A/v3/Credentials?type=password"])
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json as? String, sim.passwords["demo-db"])
    }

    private func key(_ name: String, _ format: String?) throws -> String {
        let q = format.map { "&keyFormat=\($0)" } ?? ""
        let r = try Curl.a2a(sim, key: sim.apiKeys[name], "Credentials?type=PrivateKey\(q)")
        XCTAssertEqual(r.status, 200, "\(name) \(format ?? "default"): \(r.text)")
        return try XCTUnwrap(r.json as? String, "\(name) \(format ?? "default")")
    }

    func testPrivateKeysInEachFormat() throws {
        XCTAssertTrue(try key("ssh-rsa", nil).hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        XCTAssertTrue(try key("ssh-rsa", "OpenSsh").hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        XCTAssertTrue(try key("ssh-ecdsa", "openssh").hasPrefix("-----BEGIN EC PRIVATE KEY-----"))
        XCTAssertTrue(try key("ssh-ed25519", "OpenSsh").hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----"))
        XCTAssertTrue(try key("ssh-rsa", "Ssh2").hasPrefix("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"))
        XCTAssertTrue(try key("ssh-rsa-pass", "ssh2").hasPrefix("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"))
        XCTAssertTrue(try key("ssh-rsa", "Putty").hasPrefix("PuTTY-User-Key-File-3: ssh-rsa"))
        XCTAssertTrue(try key("ssh-ed25519", "PUTTY").hasPrefix("PuTTY-User-Key-File-3: ssh-ed25519"))
        XCTAssertTrue(try key("ssh-ecdsa", "Putty").hasPrefix("PuTTY-User-Key-File-3: ecdsa-sha2-nistp256"))
        XCTAssertTrue(try key("ssh-rsa-pass", "Putty").contains("Encryption: aes256-cbc"))
        // PySafeguard's key_format is ignored: the default OpenSsh comes back.
        let py = try Curl.a2a(sim, key: sim.apiKeys["ssh-rsa"], "Credentials?type=privatekey&key_format=putty")
        XCTAssertTrue((py.json as? String ?? "").hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        // ssh.com has no ed25519 private-key format.
        let ed = try Curl.a2a(sim, key: sim.apiKeys["ssh-ed25519"], "Credentials?type=PrivateKey&keyFormat=Ssh2")
        XCTAssertEqual(ed.status, 400)

        // The passphrase-protected key opens with the passphrase secret.
        let pem = try key("ssh-rsa-pass", "OpenSsh")
        XCTAssertTrue(pem.contains("ENCRYPTED"))
        let dir = try TestPaths.makeTempDir("key")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("k")
        _ = FileManager.default.createFile(atPath: file.path, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600])
        let phrase = try XCTUnwrap(try password("ssh-rsa-pass-phrase").json as? String)
        let pub = try Curl.sh("ssh-keygen -y -P '\(phrase)' -f '\(file.path)' 2>&1")
        XCTAssertTrue(pub.hasPrefix("ssh-rsa "), pub)
    }

    func testApiKeySecretIsAnArrayOfTwo() throws {
        let r = try Curl.a2a(sim, key: sim.apiKeys["api-ci"], "Credentials?type=ApiKey")
        XCTAssertEqual(r.status, 200)
        let items = try XCTUnwrap(r.json as? [[String: Any]])
        XCTAssertEqual(items.count, 2)
        for item in items {
            for field in ["Id", "Name", "Description", "ClientId", "ClientSecret", "ClientSecretId"] {
                XCTAssertNotNil(item[field], field)
            }
        }
    }

    func testBadOrMismatchedApiKeyIs403With60108() throws {
        for (key, rel) in [("6A4psUnrLv1hvoWSB3jsm2V50eFT62vwAI9Zlj/dDWw=", "Credentials?type=Password"),
                           (sim.apiKeys["demo-db"]!, "Credentials?type=PrivateKey"),
                           (sim.apiKeys["ssh-rsa"]!, "Credentials?type=Password")] {
            let r = try Curl.a2a(sim, key: key, rel)
            XCTAssertEqual(r.status, 403)
            XCTAssertEqual(r.object["Code"] as? Int, 60108)
            XCTAssertEqual(r.object["Message"] as? String, "Authorization is required for this request.")
            XCTAssertTrue(r.object.keys.contains("InnerError"))
        }
    }

    func testNoClientCertificateIsRefusedWith60094() throws {
        let r = try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "Credentials?type=Password", cert: false)
        XCTAssertEqual(r.exit, 0, r.stderr)
        XCTAssertEqual(r.status, 403)
        XCTAssertEqual(r.object["Code"] as? Int, 60094)
        XCTAssertEqual(r.object["Message"] as? String, "Authorization is denied.")
    }

    func testRogueCertificateFailsTheHandshake() throws {
        try simulator.post("/admin/reset-log")
        let r = try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "Credentials?type=Password", rogue: true)
        XCTAssertNotEqual(r.exit, 0)
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.body.isEmpty)
        XCTAssertEqual(try simulator.log().count, 0, "no request got through")
    }

    func testPKCS12AndEncryptedKeyIdentitiesWork() throws {
        let base = ["-s", "-S", "--cacert", sim.ca, "--http1.1", "-H", "Authorization: A2A \(sim.apiKeys["demo-db"]!)"]
        let url = "\(sim.baseURL)/service/a2a/v4/Credentials?type=Password"
        let enc = try Curl.run(base + ["--key", sim.clientKeyEncrypted, "--pass", sim.clientKeyPassphrase, "--cert", sim.clientCert, url])
        XCTAssertEqual(enc.status, 200, enc.stderr)
        let p12 = try Curl.run(base + ["--cert-type", "P12", "--cert", "\(sim.clientP12):\(sim.clientP12Passphrase)", url])
        XCTAssertEqual(p12.status, 200, p12.stderr)
        let legacy = try Curl.sh("openssl pkcs12 -info -noout -in '\(sim.clientP12Legacy)' -passin file:'\(sim.clientPassphraseFile)' -legacy 2>&1")
        XCTAssertTrue(legacy.contains("RC2") || legacy.contains("3DES") || legacy.contains("pbeWithSHA1And"), legacy)
    }

    func testRetrievableAccountsWithFilter() throws {
        let regs = try Curl.run(["-s", "-S", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1",
                                 "-H", "Authorization: A2A NONE", "\(sim.baseURL)/service/core/v4/A2ARegistrations"])
        XCTAssertEqual(regs.status, 200)
        XCTAssertEqual((regs.json as? [Any])?.count, 2)
        let base = ["-s", "-S", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1", "-G"]
        let one = try Curl.run(base + ["--data-urlencode", "filter=AccountName eq 'demo-db'",
                                       "\(sim.baseURL)/service/core/v4/A2ARegistrations/1/RetrievableAccounts"])
        let items = try XCTUnwrap(one.json as? [[String: Any]], one.text)
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(items.first?["ApiKey"] as? String, sim.apiKeys["demo-db"])
        XCTAssertEqual(items.first?["AccountDisabled"] as? Int, 0)
        let bad = try Curl.run(base + ["--data-urlencode", "filter=AccountName eq", "\(sim.baseURL)/service/core/v4/A2ARegistrations/1/RetrievableAccounts"])
        XCTAssertEqual(bad.status, 400)
        let noCert = try Curl.run(["-s", "--cacert", sim.ca, "\(sim.baseURL)/service/core/v4/A2ARegistrations"])
        XCTAssertEqual(noCert.status, 403)
        XCTAssertEqual(noCert.object["Code"] as? Int, 60094)
    }

    func testSetPasswordOnlyForBidirectionalAndJSON() throws {
        let put = ["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "\"N3w-p\\\"w\""]
        let ok = try Curl.a2a(sim, key: sim.apiKeys["rotating-pw"], "Credentials/Password", extra: put)
        XCTAssertEqual(ok.status, 204, ok.text)
        XCTAssertEqual(try Curl.a2a(sim, key: sim.apiKeys["rotating-pw"], "Credentials?type=Password").json as? String, "N3w-p\"w")
        let text = try Curl.a2a(sim, key: sim.apiKeys["rotating-pw"], "Credentials/Password",
                                extra: ["-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", "x"])
        XCTAssertEqual(text.status, 415)
        let oneWay = try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "Credentials/Password", extra: put)
        XCTAssertEqual(oneWay.status, 403)
    }

    /// PUT Credentials/SshKey makes Safeguard's checks in its order: media type, a private-key
    /// secret's API key, a bidirectional registration (every seeded key is on the one-way one).
    func testSetSshKeyChecksMediaTypeKeyKindThenRegistration() throws {
        let put = ["-X", "PUT", "--data-binary", "{\"PrivateKey\":\"k\"}"]
        let text = try Curl.a2a(sim, key: sim.apiKeys["ssh-rsa"], "Credentials/SshKey", extra: put + ["-H", "Content-Type: text/plain"])
        XCTAssertEqual(text.status, 415)
        let json = put + ["-H", "Content-Type: application/json"]
        let password = try Curl.a2a(sim, key: sim.apiKeys["rotating-pw"], "Credentials/SshKey", extra: json)
        XCTAssertEqual(password.object["Message"] as? String, "Authorization is required for this request.")
        let oneWay = try Curl.a2a(sim, key: sim.apiKeys["ssh-rsa"], "Credentials/SshKey", extra: json)
        XCTAssertEqual(oneWay.status, 403)
        XCTAssertEqual(oneWay.object["Message"] as? String, "Authorization is required for this request. The registration is not bidirectional.")
    }

    func testBrokerAccessRequest() throws {
        let body = #"{"ForUser":"alice","AssetName":"sim-asset","AccountName":"demo-db","AccessRequestType":"Password"}"#
        let r = try Curl.a2a(sim, key: sim.apiKeys["broker"], "AccessRequests",
                             extra: ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["State"] as? String, "RequestAvailable")
        XCTAssertNotNil(r.object["Id"])
        let wrong = try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "AccessRequests",
                                 extra: ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body])
        XCTAssertEqual(wrong.status, 403)
    }
}
