import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring

/// TEST DOUBLE: a scripted TokenAuthority (stands in for the Safeguard/Identity clients).
final class ScriptedAuthority: TokenAuthority {
    var serviceName = "isp"
    var postfix = "alice@example.com"
    var refreshResult: Result<ArkToken, SGError>? = nil
    var loginResult: ArkToken? = nil
    var refreshes = 0
    var logins = 0

    func refresh(_ token: ArkToken) throws -> ArkToken {
        refreshes += 1
        guard let refreshResult else { throw SGError.denied("no refresh scripted") }
        return try refreshResult.get()
    }

    func loginUnattended() throws -> ArkToken? {
        logins += 1
        return loginResult
    }
}

final class TokenCacheTests: XCTestCase {
    var dir: URL!
    var cache: TokenCache!
    let key = TokenKey(serviceName: "isp", postfix: "alice@example.com", account: "ark")

    override func setUpWithError() throws {
        dir = try TestPaths.makeTempDir("cache")
        cache = TokenCache(store: TokenStore(backend: try FileKeyring(directory: dir.path + "/kr", passphrase: nil)),
                           lockDirectory: dir.path + "/locks")
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func token(_ value: String, expiresIn seconds: TimeInterval, refresh: String? = nil) -> ArkToken {
        ArkToken(token: SecretBytes(string: value), username: "alice@example.com", tokenType: .jwt, authMethod: .identity,
                 expiresIn: Instant.now.addingTimeInterval(seconds), refreshToken: refresh.map { SecretBytes(string: $0) })
    }

    func testValidCachedTokenIsUsedWithoutTheAuthority() throws {
        try cache.store.save(token("cached", expiresIn: 600), for: key)
        let auth = ScriptedAuthority()
        XCTAssertEqual(try cache.get(profile: "ark", authority: auth).token.unsafeString(), "cached")
        XCTAssertEqual(auth.refreshes + auth.logins, 0)
    }

    func testExpiredTokenWithRefreshIsRefreshedAndStored() throws {
        try cache.store.save(token("old", expiresIn: -600, refresh: "r1"), for: key)
        let auth = ScriptedAuthority()
        auth.refreshResult = .success(token("new", expiresIn: 900, refresh: "r2"))
        XCTAssertEqual(try cache.get(profile: "ark", authority: auth).token.unsafeString(), "new")
        XCTAssertEqual(auth.refreshes, 1)
        XCTAssertEqual(try cache.store.load(key)?.refreshToken?.unsafeString(), "r2")
    }

    func testRefusedRefreshFallsBackToUnattendedLogin() throws {
        try cache.store.save(token("old", expiresIn: -600, refresh: "r1"), for: key)
        let auth = ScriptedAuthority()
        auth.refreshResult = .failure(.denied("refresh token revoked"))
        auth.loginResult = token("logged-in", expiresIn: 900)
        XCTAssertEqual(try cache.get(profile: "ark", authority: auth).token.unsafeString(), "logged-in")
        XCTAssertEqual(auth.logins, 1)
    }

    func testUnreachableServerStillServesATokenInsideTheGraceWindow() throws {
        try cache.store.save(token("almost", expiresIn: 45, refresh: "r1"), for: key)
        let auth = ScriptedAuthority()
        auth.refreshResult = .failure(.unreachable("down"))
        XCTAssertEqual(try cache.get(profile: "ark", authority: auth).token.unsafeString(), "almost")
    }

    func testNoTokenAndNoUnattendedLoginIsLoginRequired() throws {
        XCTAssertThrowsError(try cache.get(profile: "ark", authority: ScriptedAuthority())) { error in
            XCTAssertEqual(error as? SGError, .loginRequired(profile: "ark"))
            XCTAssertEqual((error as? SGError)?.exitCode.rawValue, 77)
            XCTAssertTrue((error as? SGError)?.message.contains("run: sg-token login -p ark") ?? false)
        }
    }

    func testProfileWithoutAuthorityUsesCachedTokenOrNeedsLogin() throws {
        var p = IdentityProfile(name: "ark")
        p.username = "alice@example.com"
        XCTAssertThrowsError(try cache.get(profile: .identity(p), authority: nil)) {
            XCTAssertEqual($0 as? SGError, .loginRequired(profile: "ark"))
        }
        try cache.store.save(token("cached", expiresIn: 600), for: key)
        XCTAssertEqual(try cache.get(profile: .identity(p), authority: nil).token.unsafeString(), "cached")
    }

    func testTwentyParallelCallersLogInOnce() throws {
        let counter = dir.path + "/logins"
        let statuses = try WorkerTests.spawn(count: 20, mode: "login", environment: [
            "SG_KEYRING_DIR": dir.path + "/parallel-kr", "SG_TEST_LOGIN_COUNTER": counter, "SG_TEST_LOCK_DIR": dir.path + "/parallel-locks",
        ])
        XCTAssertEqual(statuses, Array(repeating: 0, count: 20))
        let logins = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(logins.count, 1, "\(logins)")
    }

    func testItemNamingFollowsArkKeyring() throws {
        var sg = SafeguardProfile(name: "spp")
        sg.username = "bob"
        XCTAssertEqual(TokenKey.candidates(for: .safeguard(sg)).map(\.service), ["sg-safeguard-bob", "sg-safeguard-certificate"])
        let config = try ConfigLoader.parse("""
        version: 1
        profiles:
          corp:
            kind: cyberark-identity
            tenant: https://abc1234.id.cyberark.cloud
            username: alice@corp.example
            cache-name: ark
            service-user: {name: svc@corp.example, app: __idaptive_cybr_user_oidc, secret: {env: SVC_SECRET}}
        """, file: "/tmp/test.yaml")
        guard case .identity(let id)? = config.profiles["corp"] else { return XCTFail("not an identity profile") }
        let keys = TokenKey.candidates(for: .identity(id))
        XCTAssertEqual(keys.map(\.service), ["isp-alice@corp.example", "isp-svc@corp.example"])
        XCTAssertEqual(Set(keys.map(\.account)), ["ark"])
    }
}
