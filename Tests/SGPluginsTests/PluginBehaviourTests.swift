import Foundation
import SGCore
import SGKeyring
@testable import SGPlugins
import SGResolver
import SGTestSupport
import XCTest

/// What docker-credential-sg and sg-kube-credential decide, on a real (file) keyring, with the
/// A2A fetch replaced by a counter: which requests fetch, which are answered from the cache, what
/// is stored and what never is.
final class PluginBehaviourTests: XCTestCase {
    var dir: URL!
    var fetches: [String] = []

    override func setUpWithError() throws {
        dir = try TestPaths.makeTempDir("plugins")
        fetches = []
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func config(_ yaml: String) throws -> Config {
        try ConfigLoader.parse("""
        version: 1
        profiles:
          p: {appliances: [a.example]}
        secrets:
          reg-pw: {profile: p, api-key: {env: X}, username: svc-reg}
          bare-pw: {profile: p, api-key: {env: X}}
          kube-pw: {profile: p, api-key: {env: X}}
          user-token: {profile: p, kind: token, username: u}
        \(yaml)
        """, file: dir.path + "/config.yaml")
    }

    func cache(_ collection: KeyringCache.Collection) throws -> KeyringCache {
        KeyringCache(backend: try FileKeyring(directory: dir.path + (collection == .session ? "/session" : "/persistent"), passphrase: nil))
    }

    func docker(_ yaml: String) throws -> DockerCredentialHelper {
        DockerCredentialHelper(config: try config(yaml), resolve: { spec in
            self.fetches.append(spec.name)
            return ResolvedSecret(value: SecretBytes(string: "value-of-\(spec.name)"), username: spec.username, kind: .password)
        }, cache: { try self.cache($0) })
    }

    /// The session folder earlier releases wrote to, so the copies they left are still found.
    func testSessionCopiesStayInPluginSessionFolder() throws {
        let env = ["SG_KEYRING": "file", "XDG_RUNTIME_DIR": dir.path, "HOME": dir.path]
        try PluginCache.open(.session, config: KeyringConfig(), environment: env).store(service: "s", account: "a", value: SecretBytes(string: "v"), expiresAt: nil)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/sg/plugin-session/keyring"))
    }

    func testMappedRegistryIsFetchedOnceThenAnsweredFromTheSessionCache() throws {
        let helper = try docker("docker:\n  rules:\n    - {registry: 'https://Reg.corp:5000', secret: reg-pw}")
        for url in ["reg.corp:5000", "https://reg.corp:5000/v2/"] {
            let c = try helper.get(url)
            XCTAssertEqual(c.serverURL, url)
            XCTAssertEqual(c.username, "svc-reg")
            XCTAssertEqual(c.secret.unsafeString(), "value-of-reg-pw")
        }
        XCTAssertEqual(fetches, ["reg-pw"])
        XCTAssertEqual(try cache(.persistent).items(withServicePrefix: "").count, 0, "nothing persistent for a mapped registry")
        // erase drops the copy (the password may have rotated): the next get fetches again.
        try helper.erase("reg.corp:5000")
        _ = try helper.get("reg.corp:5000")
        XCTAssertEqual(fetches, ["reg-pw", "reg-pw"])
    }

    /// Two gets of `rule`'s registry both fetch `secret`, and no session copy is kept.
    func assertFetchedEveryTimeWithoutACopy(_ rule: String, secret: String, line: UInt = #line) throws {
        let helper = try docker("docker:\n  rules:\n    - \(rule)")
        _ = try helper.get("reg.corp")
        _ = try helper.get("reg.corp")
        XCTAssertEqual(fetches, [secret, secret], line: line)
        XCTAssertEqual(try cache(.session).items(withServicePrefix: "").count, 0, line: line)
    }

    func testCacheTTLZeroFetchesEveryTime() throws {
        try assertFetchedEveryTimeWithoutACopy("{registry: reg.corp, secret: reg-pw, cache-ttl: 0}", secret: "reg-pw")
    }

    func testAMappedPasswordNeverGoesToPlainHTTP() throws {
        let helper = try docker("docker:\n  rules:\n    - {registry: reg.corp, secret: reg-pw}")
        for url in ["http://reg.corp", "HTTP://reg.corp/v2/", " http://reg.corp"] {
            XCTAssertThrowsError(try helper.get(url), url) { XCTAssertEqual($0 as? DockerCredentialProtocol.Failure, .notFound) }
        }
        XCTAssertEqual(fetches, [])
        XCTAssertEqual(try helper.get("https://reg.corp").secret.unsafeString(), "value-of-reg-pw")
    }

    func testATokenSecretIsNotCopiedBesideTheTokenCache() throws {
        try assertFetchedEveryTimeWithoutACopy("{registry: reg.corp, secret: user-token}", secret: "user-token")
    }

    func testUnmappedRegistryIsNotFoundAndStoreIsRefusedByDefault() throws {
        let helper = try docker("docker:\n  rules:\n    - {registry: reg.corp, secret: reg-pw}")
        XCTAssertThrowsError(try helper.get("other.corp")) { XCTAssertEqual($0 as? DockerCredentialProtocol.Failure, .notFound) }
        XCTAssertThrowsError(try helper.store(.init(serverURL: "other.corp", username: "u", secret: SecretBytes(string: "p")))) {
            XCTAssertEqual(($0 as? SGError)?.exitCode, .config)
        }
        try helper.erase("other.corp")   // nothing to do, and no error
        XCTAssertEqual(fetches, [])
    }

    func testStoreForAMappedRegistryWritesNothing() throws {
        let helper = try docker("docker:\n  store-unmapped: true\n  rules:\n    - {registry: reg.corp, secret: reg-pw}")
        try helper.store(.init(serverURL: "https://reg.corp", username: "mallory", secret: SecretBytes(string: "typed")))
        XCTAssertEqual(try cache(.persistent).items(withServicePrefix: "").count, 0)
        XCTAssertEqual(try helper.get("reg.corp").secret.unsafeString(), "value-of-reg-pw")
    }

    func testStoreUnmappedKeepsOneLoginPerRegistry() throws {
        let helper = try docker("docker:\n  store-unmapped: true")
        try helper.store(.init(serverURL: "https://other.corp:443", username: "alice", secret: SecretBytes(string: "a-pw")))
        try helper.store(.init(serverURL: "other.corp:443", username: "bob", secret: SecretBytes(string: "b-pw")))
        let c = try helper.get("https://other.corp:443/v2/")
        XCTAssertEqual(c.username, "bob")
        XCTAssertEqual(c.secret.unsafeString(), "b-pw")
        XCTAssertEqual(try helper.list().map { "\($0.serverURL)=\($0.username)" }, ["other.corp:443=bob"])
        try helper.erase("other.corp:443")
        XCTAssertThrowsError(try helper.get("other.corp:443")) { XCTAssertEqual($0 as? DockerCredentialProtocol.Failure, .notFound) }
    }

    func testMappedRegistryWithoutAnyUserNameSaysWhereToSetIt() throws {
        let helper = try docker("docker:\n  rules:\n    - {registry: reg.corp, secret: bare-pw}")
        XCTAssertThrowsError(try helper.get("reg.corp")) { error in
            XCTAssertEqual((error as? SGError)?.exitCode, .config)
            XCTAssertTrue("\(error)".contains("username"), "\(error)")
        }
    }

    func testMalformedServerURLIsMalformedInput() throws {
        let helper = try docker("docker:\n  rules:\n    - {registry: reg.corp, secret: reg-pw}")
        XCTAssertThrowsError(try helper.get("user@reg.corp")) { XCTAssertEqual(($0 as? SGError)?.exitCode, .dataError) }
    }

    func testListShowsMappedRegistriesWithoutFetching() throws {
        let helper = try docker("docker:\n  rules:\n    - {registry: reg.corp, secret: reg-pw}\n    - {registry: b.corp, secret: bare-pw, username: x}")
        XCTAssertEqual(try helper.list().map { "\($0.serverURL)=\($0.username)" }, ["reg.corp=svc-reg", "b.corp=x"])
        XCTAssertEqual(fetches, [])
    }

    // MARK: kube

    func kube(_ yaml: String, tokenExpiry: Double = 2_000_000_000) throws -> KubeCredentialPlugin {
        KubeCredentialPlugin(config: try config(yaml), resolve: { ref in
            self.fetches.append(ref.description)
            if case .token = ref { return ResolvedSecret(value: SecretBytes(string: "user-token"), expiresAt: tokenExpiry, kind: .token) }
            return ResolvedSecret(value: SecretBytes(string: "a2a-token"), kind: .password)
        }, cache: { try self.cache(.session) })
    }

    func testA2AValueIsKeptForCacheSecondsAndItsEndIsTheExpiry() throws {
        let plugin = try kube("kube:\n  prod: {token: 'sg:kube-pw', cache-seconds: 600}")
        let before = WallClock.now
        let first = try plugin.token(for: "prod")
        let second = try plugin.token(for: "prod")
        XCTAssertEqual(fetches, ["sg:kube-pw"])
        XCTAssertEqual(second.token.unsafeString(), "a2a-token")
        let expiry = try XCTUnwrap(first.expiresAt)
        XCTAssertEqual(second.expiresAt, expiry)
        XCTAssertGreaterThanOrEqual(expiry, before.rounded(.down) + 599)
        XCTAssertLessThanOrEqual(expiry, WallClock.now + 600)
    }

    func testTokenReferenceGoesToTheTokenCacheWithTheTokensExpiry() throws {
        let plugin = try kube("kube:\n  dev: {token: 'sg:token/p'}")
        let a = try plugin.token(for: "dev")
        _ = try plugin.token(for: "dev")
        XCTAssertEqual(a.expiresAt, 2_000_000_000)
        XCTAssertEqual(fetches, ["sg:token/p", "sg:token/p"], "the token cache answers, not the plugin's session copy")
        XCTAssertEqual(try cache(.session).items(withServicePrefix: "").count, 0)
    }

    func testCacheSecondsZeroFetchesEveryTime() throws {
        let plugin = try kube("kube:\n  prod: {token: 'sg:kube-pw', cache-seconds: 0}")
        XCTAssertNil(try plugin.token(for: "prod").expiresAt)
        _ = try plugin.token(for: "prod")
        XCTAssertEqual(fetches, ["sg:kube-pw", "sg:kube-pw"])
    }

    func testUnknownKubeEntryNamesTheDefinedOnes() throws {
        let plugin = try kube("kube:\n  prod: {token: 'sg:kube-pw'}")
        XCTAssertThrowsError(try plugin.token(for: "staging")) { error in
            XCTAssertEqual((error as? SGError)?.exitCode, .config)
            XCTAssertTrue("\(error)".contains("defined: prod"), "\(error)")
        }
    }
}
