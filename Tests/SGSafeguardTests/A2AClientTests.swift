import Foundation
import SGCore
import SGSafeguard
import SGTestSupport
import SGTransport
import XCTest

/// The lead's A2A client against sg-sim: byte-exact secrets, key formats, errors, bulk reuse.
final class A2AClientTests: SimCase {
    func client() throws -> A2AClient { try A2AClient(profile: try safeguardProfile()) }
    func key(_ name: String) -> SecretBytes { SecretBytes(string: ready.apiKeys[name]!) }
    func bytes(_ s: SecretBytes) -> [UInt8] { s.unsafeArray() }

    func testPasswordsOfEachKindAreByteExact() throws {
        let a2a = try client()
        for name in ["demo-db", "unicode-pw", "quote-pw", "big-pw", "git-team", "ssh-rsa-pass-phrase"] {
            let value = try a2a.retrievePassword(apiKey: key(name))
            XCTAssertEqual(bytes(value), Array(ready.passwords[name]!.utf8), name)
        }
        XCTAssertEqual(try a2a.retrievePassword(apiKey: key("big-pw")).count, 4096)
        XCTAssertEqual(try a2a.retrievePassword(apiKey: key("unicode-pw")).unsafeString(), "pässwörd-秘密-🔑")
        let quote = try a2a.retrievePassword(apiKey: key("quote-pw")).unsafeString()
        for c in ["\"", "'", "\\", "$", "`"] { XCTAssertTrue(quote.contains(c), c) }
    }

    func testPrivateKeysInEachFormatMatchTheSimulatorsFiles() throws {
        let a2a = try client()
        let keys = URL(fileURLWithPath: ready.stateDir).appendingPathComponent("keys")
        for name in ["ssh-ed25519", "ssh-rsa", "ssh-ecdsa", "ssh-rsa-pass"] {
            var formats: [(KeyFormat, String)] = [(.openssh, name), (.putty, "\(name).ppk")]
            if name.hasPrefix("ssh-rsa") { formats.append((.ssh2, "\(name).ssh2")) }
            for (format, file) in formats {
                let expected = try Data(contentsOf: keys.appendingPathComponent(file))
                let got = try a2a.retrievePrivateKey(apiKey: key(name), format: format)
                XCTAssertEqual(bytes(got), Array(expected), "\(name) \(format)")
                XCTAssertGreaterThan(got.count, 100)
            }
        }
        // ed25519 has no ssh.com form: the appliance's 400 is an unexpected response, not a crash.
        assertSGError(.protocolError, try a2a.retrievePrivateKey(apiKey: key("ssh-ed25519"), format: .ssh2))
    }

    func testAPIKeySecretsFields() throws {
        let entries = try client().retrieveAPIKeySecrets(apiKey: key("api-ci"))
        XCTAssertEqual(entries.map(\.name), ["ci-key-1", "ci-key-2"])
        XCTAssertEqual(entries.map(\.clientId), ["ci-client-1", "ci-client-2"])
        for e in entries {
            let secret = try XCTUnwrap(e.field("ClientSecret"))
            XCTAssertGreaterThan(secret.count, 8)
            XCTAssertNotNil(e.field("ClientSecretId"))
            XCTAssertNotNil(e.id)
        }
        XCTAssertFalse(entries[0].field("ClientSecret")!.constantTimeEquals(entries[1].field("ClientSecret")!))
    }

    /// Issue 13 item 9: an empty answer is never a password or key (exit 76, naming the secret).
    func testEmptyPasswordOrKeyIsAnUnexpectedResponseNamingTheSecret() throws {
        let a2a = try client()
        for body in ["", "\"\""] {
            let response = HTTPResponse(status: 200, headers: [], body: SecretBytes(string: body), appliance: "sim", reusedConnection: false)
            for item in [A2AClient.Item.password, .privateKey(.openssh)] {
                let e = assertSGError(.protocolError, try a2a.decode(response, item: item, what: "password 'git-team'"))
                XCTAssertTrue(e?.message.contains("'git-team'") == true, e?.message ?? "")
                XCTAssertTrue(e?.message.contains("empty") == true, e?.message ?? "")
            }
        }
        let ok = HTTPResponse(status: 200, headers: [], body: SecretBytes(string: "\" \""), appliance: "sim", reusedConnection: false)
        XCTAssertEqual(try a2a.decode(ok, item: .password, what: "x").unsafeString(), " ")
    }

    /// Issue 13 item 13: the appliance's `Message` reaches the error line with its control
    /// characters escaped (no ANSI sequence reaches the terminal).
    func testTheAppliancesMessageIsEscapedInTheError() throws {
        let body = #"{"Code": 60108, "Message": "\u001b[2J\u001b[31mroot@spp:~# \r\nfake", "InnerError": null}"#
        let response = HTTPResponse(status: 403, headers: [], body: SecretBytes(string: body), appliance: "sim", reusedConnection: false)
        let e = assertSGError(.noPermission, try client().decode(response, item: .password, what: "password 'x'"))
        let message = e?.message ?? ""
        XCTAssertFalse(message.utf8.contains(0x1B), message)
        XCTAssertFalse(message.utf8.contains(0x0A), message)
        XCTAssertTrue(message.contains("\\x1B[2J\\x1B[31mroot@spp:~# \\r\\nfake"), message)
    }

    func testBadAPIKeyIsDeniedWithTheRegistrationHint() throws {
        let e = assertSGError(.noPermission, try client().retrievePassword(apiKey: SecretBytes(string: "bogus/key+=")))
        XCTAssertTrue(e?.message.contains("API key rejected") == true, e?.message ?? "")
        XCTAssertTrue(e?.message.contains("registration") == true, e?.message ?? "")
        // A key of another kind is refused the same way.
        assertSGError(.noPermission, try client().retrievePassword(apiKey: key("ssh-rsa")))
    }

    func testA2AServiceOffIsUnavailable() throws {
        try simulator.admin("/admin/a2a", json: ["enabled": false])
        defer { _ = try? simulator.admin("/admin/a2a", json: ["enabled": true]) }
        let e = assertSGError(.unavailable, try client().retrievePassword(apiKey: key("demo-db")))
        XCTAssertTrue(e?.message.contains("A2A service is off") == true, e?.message ?? "")
    }

    func testSetPasswordThenRetrieve() throws {
        let a2a = try client()
        let new = "new-Pässw0rd \"quoted\" back\\slash \(UInt32.random(in: 0...99999))"
        try a2a.setPassword(apiKey: key("rotating-pw"), password: SecretBytes(string: new))
        XCTAssertEqual(try a2a.retrievePassword(apiKey: key("rotating-pw")).unsafeString(), new)
        // A one-way registration refuses writes.
        assertSGError(.noPermission, try a2a.setPassword(apiKey: key("demo-db"), password: SecretBytes(string: "x")))
        XCTAssertEqual(try a2a.retrievePassword(apiKey: key("demo-db")).unsafeString(), ready.passwords["demo-db"])
    }

    func testRetrieveAllOfFiftySecretsReusesAFewConnections() throws {
        let a2a = try client()
        let names = (1...50).map { String(format: "bulk-%02d", $0) }
        try simulator.post("/admin/reset-log")
        let before = try simulator.stats()
        let results = a2a.retrieveAll(names.map { (A2AClient.Item.password, key($0), $0) })
        let after = try simulator.stats()
        for (name, r) in zip(names, results) {
            XCTAssertEqual(try r.get().unsafeString(), "\(name)-value")
        }
        XCTAssertEqual(after.requests - before.requests, 50)
        XCTAssertLessThanOrEqual(after.connections - before.connections, try safeguardProfile().tls.poolSize,
                                 "at most one connection per pooled handle")
        XCTAssertGreaterThanOrEqual(after.connections - before.connections, 1)
    }

    func testBrokerAccessRequest() throws {
        var req = BrokeredAccessRequest()
        req.forUser = "alice"
        req.assetName = "sim-asset"
        req.accountName = "demo-db"
        req.requestedDurationHours = 3
        let result = try client().brokerAccessRequest(apiKey: key("broker"), req)
        XCTAssertEqual(result.state, "RequestAvailable")
        XCTAssertNotNil(result.id)
        // A retrieval key is not the broker key.
        assertSGError(.noPermission, try client().brokerAccessRequest(apiKey: key("demo-db"), req))
    }

    func testRetrievableAccounts() throws {
        let accounts = try client().retrievableAccounts()
        XCTAssertTrue(accounts.contains { $0.accountName == "demo-db" && $0.applicationName == "sg-sim" && $0.accountType == "Password" })
        XCTAssertTrue(accounts.contains { $0.accountName == "rotating-pw" && $0.applicationName == "sg-sim-bidirectional" })
        XCTAssertTrue(accounts.allSatisfy { !$0.disabled })
        let filtered = try client().retrievableAccounts(filter: "AccountName eq 'ssh-rsa'")
        XCTAssertEqual(filtered.map(\.accountName), ["ssh-rsa"])
        assertSGError(.protocolError, try client().retrievableAccounts(filter: "this is not a filter"))
        // Certificate only: no API key and no bearer on the wire.
        XCTAssertTrue(try simulator.log().filter { $0.path.lowercased().contains("a2aregistrations") }.allSatisfy { $0.auth == "none" && $0.cert == "sg-client" })
    }
}
