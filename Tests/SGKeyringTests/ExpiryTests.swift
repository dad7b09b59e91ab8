import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring

/// Every expiry rule of ark-sdk-python 2.1.4's `ArkKeyring.load_token`, on both backends.
final class ExpiryTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try TestPaths.makeTempDir("expiry") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    struct Row {
        let name: String
        let type: ArkTokenType
        let expires: TimeInterval?    // seconds from now
        let refresh: Bool
        let kept: Bool
    }

    static let table: [Row] = [
        Row(name: "JWT expired 30 s ago, no refresh", type: .jwt, expires: -30, refresh: false, kept: false),
        Row(name: "JWT expires in 30 s, no refresh", type: .jwt, expires: 30, refresh: false, kept: false),
        Row(name: "JWT expires in 90 s", type: .jwt, expires: 90, refresh: false, kept: true),
        Row(name: "Internal expired 1 day ago, no refresh", type: .internal, expires: -86400, refresh: false, kept: true),
        Row(name: "JWT with refresh expired 11 h ago", type: .jwt, expires: -11 * 3600, refresh: true, kept: true),
        Row(name: "JWT with refresh expired 13 h ago", type: .jwt, expires: -13 * 3600, refresh: true, kept: false),
        Row(name: "no expires_in", type: .jwt, expires: nil, refresh: false, kept: true),
    ]

    func check(_ backend: any KeyringBackend) throws {
        let store = TokenStore(backend: backend)
        for (i, row) in Self.table.enumerated() {
            let key = TokenKey(serviceName: "isp", postfix: "expiry\(i)@example.com", account: "expiry-test")
            let token = ArkToken(token: SecretBytes(string: "tok-\(i)"), tokenType: row.type,
                                 expiresIn: row.expires.map { Instant.now.addingTimeInterval($0) },
                                 refreshToken: row.refresh ? SecretBytes(string: "r") : nil)
            try store.save(token, for: key)
            let loaded = try store.load(key)
            XCTAssertEqual(loaded != nil, row.kept, row.name)
            // Deleted rows are really gone from the keyring; kept rows are still there.
            XCTAssertEqual(try backend.lookup(service: key.service, account: key.account) != nil, row.kept, row.name)
            try backend.delete(service: key.service, account: key.account)
        }
    }

    func testArkExpiryTableOnFileBackend() throws {
        try check(try FileKeyring(directory: dir.path + "/kr", passphrase: nil))
    }

    func testArkExpiryTableOnSecretService() throws {
        _ = SecretServiceSession.shared
        try check(SecretServiceKeyring())
    }

    func testInvalidItemIsAMissAndIsKept() throws {
        let kr = try FileKeyring(directory: dir.path + "/kr", passphrase: nil)
        try kr.store(service: "isp-bad", account: "p", secret: SecretBytes(string: #"{"token":"x","token_type":"jwt"}"#))
        XCTAssertNil(try TokenStore(backend: kr).load(TokenKey(serviceName: "isp", postfix: "bad", account: "p")))
        XCTAssertNotNil(try kr.lookup(service: "isp-bad", account: "p"))
    }
}
