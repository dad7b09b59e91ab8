import Foundation
import SGCore
@testable import SGResolver
import SGTestSupport
import Synchronization
import XCTest

/// The one path every tool fetches through, against sg-sim with its own config: what each kind of
/// reference gives, the errors and exit codes, parallel resolution, and where tokens come from.
final class ResolverTests: SimCase {
    func resolver(tokens: (any TokenSource)? = nil) throws -> Resolver { Resolver(config: try config(), tokenSource: tokens) }
    func ref(_ text: String) throws -> SecretReference { try SecretReference(parsing: text) }
    func a2aRequests() throws -> Int { try simulator.log().filter { $0.auth == "a2a" }.count }

    /// A token source that counts its calls and answers with a fixed token.
    final class CountingTokens: TokenSource, @unchecked Sendable {
        private let calls = Mutex<[String]>([])
        var asked: [String] { calls.withLock { $0 } }
        func token(profile: Profile) throws -> ResolvedSecret {
            calls.withLock { $0.append(profile.name) }
            return ResolvedSecret(value: SecretBytes(string: "token-of-\(profile.name)"), username: "alice",
                                  expiresAt: 4_000_000_000, kind: .token)
        }
    }

    func testEachKindResolvesToItsValueUsernameAndKind() throws {
        let r = try resolver()
        let password = try r.resolve(try ref("sg:demo-db"))
        XCTAssertEqual(password.value.unsafeString(), ready.passwords["demo-db"])
        XCTAssertEqual(password.username, "dbadmin")
        XCTAssertEqual(password.kind, .password)

        let key = try r.resolve(try ref("sg:ssh-ed25519"))
        let file = try Data(contentsOf: URL(fileURLWithPath: ready.stateDir).appendingPathComponent("keys/ssh-ed25519"))
        XCTAssertEqual(key.value.unsafeArray(), Array(file), "the openssh form config asks for, byte for byte")
        XCTAssertEqual(key.kind, .privateKey)

        // An API-key secret gives its config `field:` (ClientSecret) and the client id as user.
        let api = try r.resolve(try ref("sg:api-ci"))
        XCTAssertEqual(api.kind, .apiKeySecret)
        XCTAssertEqual(api.username, "ci-client-1")
        XCTAssertEqual(api.value.unsafeString(), try r.resolve(try ref("sg:api-ci#ClientSecret")).value.unsafeString())
        XCTAssertNil(password.expiresAt)
    }

    func testAPIKeySecretFieldsAndTheWholeAnswer() throws {
        let r = try resolver()
        XCTAssertEqual(try r.resolve(try ref("sg:api-ci#ClientId")).value.unsafeString(), "ci-client-1")
        let json = try JSONValue.parse(try r.resolve(try ref("sg:api-ci#json")).value)
        XCTAssertEqual(json.arrayValue?.count, 2, "#json is the appliance's whole array")
        let e = assertSGError(.unknownSecret, try r.resolve(try ref("sg:api-ci#NoSuchField")))
        XCTAssertTrue(e?.message.contains("has no field 'NoSuchField'") == true, e?.message ?? "")
        XCTAssertTrue(e?.message.contains("ClientSecret") == true, "the message lists the fields there are")
    }

    func testAFieldOnASecretWithoutFieldsIsRefusedBeforeAnyFetch() throws {
        let r = try resolver()
        let e = assertSGError(.unknownSecret, try r.resolve(try ref("sg:demo-db#password")))
        XCTAssertEqual(e?.message, "bad reference: sg:demo-db#password: only api-key-secret secrets have fields")
        let all = r.resolveAll([try ref("sg:ssh-rsa#x")])
        guard case .failure(let f) = all[0] else { return XCTFail("\(all)") }
        XCTAssertEqual(f.exitCode, .unknownSecret)
        XCTAssertEqual(try a2aRequests(), 0, "refused without asking the appliance")
    }

    func testUnknownNamesAndProfilesHaveTheirOwnExitCodes() throws {
        let r = try resolver(tokens: CountingTokens())
        let unknown = assertSGError(.unknownSecret, try r.resolve(try ref("sg:no-such-secret")))
        XCTAssertTrue(unknown?.message.contains("no-such-secret") == true, unknown?.message ?? "")
        assertSGError(.config, try r.resolve(try ref("sg:token/no-such-profile")))
        // A2A needs a Safeguard profile; the Identity tenant has none.
        let e = assertSGError(.config, try r.a2a(for: "sim-ark"))
        XCTAssertTrue(e?.message.contains("not a Safeguard profile") == true, e?.message ?? "")
        XCTAssertEqual(try a2aRequests(), 0)
    }

    func testApplianceRefusalsKeepTheirExitCodes() throws {
        var config = try self.config()
        config.secrets["demo-db"]?.apiKey = envSource("not-a-registered-key")
        assertSGError(.noPermission, try Resolver(config: config).resolve(try ref("sg:demo-db")))

        try simulator.admin("/admin/a2a", json: ["enabled": false])
        defer { _ = try? simulator.admin("/admin/a2a", json: ["enabled": true]) }
        assertSGError(.unavailable, try resolver().resolve(try ref("sg:git-team")))
    }

    func testATokenReferenceNeedsATokenSourceAndUsesIt() throws {
        let e = assertSGError(.noPermission, try resolver().resolve(try ref("sg:token/sim")))
        XCTAssertEqual(e?.message, "login required for profile 'sim': run: sg-token login -p sim")

        let tokens = CountingTokens()
        let token = try resolver(tokens: tokens).resolve(try ref("sg:token/sim-ark"))
        XCTAssertEqual(token.value.unsafeString(), "token-of-sim-ark")
        XCTAssertEqual(token.kind, .token)
        XCTAssertEqual(token.expiresAt, 4_000_000_000)
        XCTAssertEqual(tokens.asked, ["sim-ark"])
        XCTAssertEqual(try a2aRequests(), 0, "a token never goes to A2A")
    }

    func testASecretOfKindTokenIsItsProfilesToken() throws {
        var config = try self.config()
        var spec = SecretSpec(name: "ark-token")
        spec.kind = .token
        spec.profile = "sim-ark"
        config.secrets["ark-token"] = spec
        let tokens = CountingTokens()
        let r = Resolver(config: config, tokenSource: tokens)
        XCTAssertEqual(try r.resolve(try ref("sg:ark-token")).value.unsafeString(), "token-of-sim-ark")
        let all = r.resolveAll([try ref("sg:ark-token"), try ref("sg:token/sim-ark"), try ref("sg:token/sim")])
        XCTAssertEqual(all.map { (try? $0.get())?.value.unsafeString() }, ["token-of-sim-ark", "token-of-sim-ark", "token-of-sim"])
        XCTAssertEqual(Set(tokens.asked), ["sim", "sim-ark"], "each reference asks for its own profile's token")
        XCTAssertEqual(tokens.asked.filter { $0 == "sim" }.count, 1)
    }

    func testResolveAllKeepsTheOrderGivenAndFetchesEachSecretOnce() throws {
        let r = try resolver()
        let refs = try ["sg:bulk-03", "sg:api-ci#ClientId", "sg:bulk-01", "sg:api-ci#ClientSecret", "sg:bulk-03",
                        "sg:demo-db#x", "sg:no-such-secret", "sg:api-ci"].map(ref)
        let results = r.resolveAll(refs)
        XCTAssertEqual(results.count, refs.count)
        XCTAssertEqual(try results[0].get().value.unsafeString(), "bulk-03-value")
        XCTAssertEqual(try results[1].get().value.unsafeString(), "ci-client-1")
        XCTAssertEqual(try results[2].get().value.unsafeString(), "bulk-01-value")
        XCTAssertEqual(try results[3].get().value.unsafeString(), try results[7].get().value.unsafeString())
        XCTAssertEqual(try results[4].get().value.unsafeString(), "bulk-03-value")
        for (i, code) in [(5, ExitCode.unknownSecret), (6, .unknownSecret)] {
            guard case .failure(let e) = results[i] else { XCTFail("\(i) should fail"); continue }
            XCTAssertEqual(e.exitCode, code, "\(i)")
        }
        // bulk-03, api-ci and bulk-01: one A2A request each, however many references name them.
        XCTAssertEqual(try a2aRequests(), 3)
    }

    func testManyReferencesResolveInParallelOverOnePool() throws {
        let r = try resolver()
        let names = (1...50).map { String(format: "bulk-%02d", $0) }
        let results = r.resolveAll(try names.map { try ref("sg:\($0)") })
        XCTAssertEqual(results.map { (try? $0.get())?.value.unsafeString() }, names.map { "\($0)-value" })
        XCTAssertEqual(try a2aRequests(), 50)
        let client = try r.a2a(for: "sim")
        XCTAssertTrue(client === (try r.a2a(for: "sim")), "one client, so one pool, per profile")
        let connections = try simulator.stats().connections
        XCTAssertGreaterThanOrEqual(connections, 1)
        XCTAssertLessThanOrEqual(connections, client.http.tls.poolSize, "no more connections than the pool holds")
    }

    func testThePassphraseOfAKeyIsTheSecretConfigNames() throws {
        let r = try resolver()
        let config = try self.config()
        XCTAssertEqual(try r.passphrase(of: try config.secret("ssh-rsa-pass"))?.unsafeString(), ready.sshKeyPassphrase)
        XCTAssertNil(try r.passphrase(of: try config.secret("ssh-rsa")))
        var broken = try config.secret("ssh-rsa")
        broken.passphraseSecret = "missing-phrase"
        assertSGError(.unknownSecret, try r.passphrase(of: broken))
    }
}
