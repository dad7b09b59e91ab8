import XCTest
import SGCore
import SGKeyring
@testable import SGResolver
import SGTestSupport

/// TokenAccess: the one way sg-token and `sg:token/PROFILE` reach the token cache, on a real
/// file keyring (no appliance: these profiles never get past the cache).
final class TokenAccessTests: XCTestCase {
    var home: URL!
    var env: [String: String] = [:]
    var config: Config!

    override func setUpWithError() throws {
        home = try TestPaths.makeTempDir("tokenaccess")
        env = ["HOME": home.path, "SG_KEYRING": "file", "SG_KEYRING_DIR": home.appendingPathComponent("keyring").path]
        config = try ConfigLoader.parse("""
            version: 1
            profiles:
              spp: {appliances: [spp.corp.example], username: alice, login: password}
            """, file: home.appendingPathComponent("config.yaml").path, home: home.path)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: home) }

    func testACachedTokenIsWhatEveryWayInSees() throws {
        let profile = try config.profile("spp")
        let access = try TokenAccess(config: config, environment: env)
        XCTAssertEqual(access.choice.kind, .file)
        let token = ArkToken(token: SecretBytes(string: "tok-123"), username: "alice", tokenType: .token,
                             expiresIn: Instant.now.addingTimeInterval(3600))
        try access.cache.put(token, profile: TokenReport.account(of: profile),
                             authority: TokenAuthorities.make(for: profile, prompter: NoPrompt()))
        // A second TokenAccess over the same environment (what the next process builds) sees it.
        XCTAssertEqual(try TokenAccess(config: config, environment: env).get(profile).token.unsafeString(), "tok-123")
    }

    func testNoTokenAndNoUnattendedLoginIsLoginRequired() throws {
        let profile = try config.profile("spp")
        XCTAssertThrowsError(try TokenAccess(config: config, environment: env).get(profile)) { error in
            XCTAssertEqual((error as? SGError)?.exitCode, ExitCode.noPermission, "\(error)")
        }
    }
}
