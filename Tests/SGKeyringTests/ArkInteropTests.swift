import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring

/// Tokens cached by ark-sdk-python 2.1.4's ArkKeyring and by sg are readable by each other on
/// the Secret Service. The venv is `.venv-ark/` in the package (created here if missing).
/// As ark-sdk-python 2.1.4's `ArkKeyring.get_keyring` shows, Ark's docker probe is patched out so that Ark uses
/// the Secret Service in this container.
final class ArkInteropTests: XCTestCase {
    static let python: String = {
        let venv = TestPaths.packageRoot.appendingPathComponent(".venv-ark").path
        let py = venv + "/bin/python"
        let check = try? SecretServiceSession.run([py, "-c", "import ark_sdk_python"], environment: ["PATH": "/usr/bin:/bin"])
        if check?.status != 0 {
            _ = try? SecretServiceSession.run(["python3", "-m", "venv", venv], environment: ["PATH": "/usr/bin:/bin"])
            let pip = try? SecretServiceSession.run([venv + "/bin/pip", "install", "-q", "ark-sdk-python==2.1.4"],
                                                    environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()], timeout: 600)
            precondition(pip?.status == 0, "cannot install ark-sdk-python==2.1.4: \(pip?.stderr ?? "")")
        }
        return py
    }()

    override func setUp() { _ = SecretServiceSession.shared }

    static let script = #"""
    import sys, json
    from datetime import datetime
    from ark_sdk_python.common import ArkKeyring
    from ark_sdk_python.models import ArkProfile
    from ark_sdk_python.models.auth import ArkToken, ArkTokenType, ArkAuthMethod
    ArkKeyring._ArkKeyring__is_docker = staticmethod(lambda: False)
    kr = ArkKeyring('isp')
    assert 'SecretService' in type(ArkKeyring.get_keyring()).__module__, type(ArkKeyring.get_keyring())
    mode, profile, postfix = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == 'save':
        tok = ArkToken(token='eyJhbGciOiJSUzI1NiJ9.test-access-token.sig', username='alice@example.cyberark.cloud',
                       endpoint='https://abc1234.id.cyberark.cloud', token_type=ArkTokenType.JWT,
                       auth_method=ArkAuthMethod.Identity, expires_in=datetime(2030, 1, 2, 3, 4, 5, 678901),
                       refresh_token='test-refresh-token', metadata={'env': 'prod', 'cookies': 'Y29va2llcw==\n'})
        kr.save_token(ArkProfile(profile_name=profile), tok, postfix)
        print(tok.model_dump_json())
    else:
        tok = kr.load_token(ArkProfile(profile_name=profile), postfix)
        print('NONE' if tok is None else tok.model_dump_json())
    """#

    func runArk(_ args: [String]) throws -> SecretServiceSession.Result {
        let dir = try TestPaths.makeTempDir("ark")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ark_interop.py").path
        try Self.script.write(toFile: path, atomically: true, encoding: .utf8)
        return try SecretServiceSession.shared.run([Self.python, path] + args, extra: ["HOME": dir.path])
    }

    func testTokenSavedByArkIsReadBySg() throws {
        let saved = try runArk(["save", "ark-wrote", "alice@example.cyberark.cloud"])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        let store = TokenStore(backend: SecretServiceKeyring())
        let key = TokenKey(serviceName: "isp", postfix: "alice@example.cyberark.cloud", account: "ark-wrote")
        let token = try XCTUnwrap(try store.load(key))
        XCTAssertEqual(token.token.unsafeString(), "eyJhbGciOiJSUzI1NiJ9.test-access-token.sig")
        XCTAssertEqual(token.authMethod, .identity)
        XCTAssertEqual(token.refreshToken?.unsafeString(), "test-refresh-token")
        // sg writes back exactly what Ark wrote.
        XCTAssertEqual(token.serialized().unsafeString(), saved.stdout.trimmingCharacters(in: .newlines))
        XCTAssertEqual(token.serialized().unsafeString(), ArkTokenTests.arkJSON)
    }

    func testTokenSavedBySgIsReturnedByArkLoadToken() throws {
        let store = TokenStore(backend: SecretServiceKeyring())
        let key = TokenKey(serviceName: "isp", postfix: "bob@example.cyberark.cloud", account: "sg-wrote")
        let expires = Instant.now.addingTimeInterval(3600)
        let token = ArkToken(token: SecretBytes(string: "sg-access-token"), username: "bob@example.cyberark.cloud",
                             endpoint: "https://abc1234.id.cyberark.cloud", tokenType: .jwt, authMethod: .identity,
                             expiresIn: expires, refreshToken: SecretBytes(string: "sg-refresh"),
                             metadata: [("env", .text("prod"))])
        try store.save(token, for: key)
        let loaded = try runArk(["load", "sg-wrote", "bob@example.cyberark.cloud"])
        XCTAssertEqual(loaded.status, 0, loaded.stderr)
        XCTAssertEqual(loaded.stdout.trimmingCharacters(in: .newlines), token.serialized().unsafeString())
    }

    func testExpiredTokenSavedBySgIsDroppedByArkToo() throws {
        let store = TokenStore(backend: SecretServiceKeyring())
        let key = TokenKey(serviceName: "isp", postfix: "carol@example.cyberark.cloud", account: "sg-expired")
        try store.save(ArkToken(token: SecretBytes(string: "old"), tokenType: .jwt, expiresIn: Instant.now.addingTimeInterval(-30)), for: key)
        let loaded = try runArk(["load", "sg-expired", "carol@example.cyberark.cloud"])
        XCTAssertEqual(loaded.stdout.trimmingCharacters(in: .newlines), "NONE", loaded.stderr)
        XCTAssertNil(try SecretServiceKeyring().lookup(service: key.service, account: key.account), "Ark deleted it")
    }

    /// Ark's own file cache (BasicKeyring), written by ark-sdk-python, imported read-only by sg.
    func testTokenArkCachedInItsOwnFileIsImportedReadOnly() throws {
        let dir = try TestPaths.makeTempDir("arkfile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("ark-cache").path
        let script = dir.appendingPathComponent("basic.py").path
        try #"""
        import sys
        from datetime import datetime, timedelta
        from ark_sdk_python.common import ArkKeyring
        from ark_sdk_python.models import ArkProfile
        from ark_sdk_python.models.auth import ArkToken, ArkTokenType, ArkAuthMethod
        tok = ArkToken(token='eyJhbGciOiJSUzI1NiJ9.file-token.sig', username='carol@example.cyberark.cloud',
                       endpoint='https://abc1234.id.cyberark.cloud', token_type=ArkTokenType.JWT,
                       auth_method=ArkAuthMethod.Identity, expires_in=datetime.now() + timedelta(hours=1),
                       refresh_token='file-refresh')
        ArkKeyring('isp').save_token(ArkProfile(profile_name='ark-file'), tok, 'carol@example.cyberark.cloud')
        """#.write(toFile: script, atomically: true, encoding: .utf8)
        let saved = try SecretServiceSession.run([Self.python, script],
                                                 environment: ["PATH": "/usr/bin:/bin", "HOME": dir.path,
                                                               "ARK_BASIC_KEYRING": "1", "ARK_KEYRING_FOLDER": folder])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(before, ["keyring", "mac"])
        let keyringBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/keyring"))

        let cache = ArkFileCache(folder: folder)
        let token = try XCTUnwrap(cache.load(service: "isp-carol@example.cyberark.cloud", account: "ark-file"))
        XCTAssertEqual(token.token.unsafeString(), "eyJhbGciOiJSUzI1NiJ9.file-token.sig")
        XCTAssertEqual(token.refreshToken?.unsafeString(), "file-refresh")
        XCTAssertNil(cache.load(service: "isp-nobody", account: "ark-file"))
        XCTAssertNil(ArkFileCache(folder: folder, hostname: "another-host").load(service: "isp-carol@example.cyberark.cloud", account: "ark-file"),
                     "Ark keys its file by hostname")

        // The token cache imports it for an Identity profile and never writes to Ark's folder.
        let profile = Profile.identity({
            var p = IdentityProfile(name: "ark-file")
            p.tenantURL = "https://abc1234.id.cyberark.cloud"
            p.username = "carol@example.cyberark.cloud"
            return p
        }())
        let own = try FileKeyring(directory: dir.appendingPathComponent("sg-keyring").path, passphrase: nil)
        var tokenCache = TokenCache(store: TokenStore(backend: own), lockDirectory: dir.path)
        tokenCache.arkFileCache = cache
        XCTAssertEqual(try tokenCache.get(profile: profile, authority: nil).token.unsafeString(), "eyJhbGciOiJSUzI1NiJ9.file-token.sig")
        XCTAssertNotNil(try TokenStore(backend: own).load(TokenKey(serviceName: "isp", postfix: "carol@example.cyberark.cloud", account: "ark-file")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), before)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/keyring")), keyringBytes)

        // A tampered file fails Ark's own integrity check and is ignored.
        var tampered = keyringBytes
        tampered[tampered.count / 2] ^= 0x01
        try tampered.write(to: URL(fileURLWithPath: folder + "/keyring"))
        XCTAssertNil(cache.load(service: "isp-carol@example.cyberark.cloud", account: "ark-file"))
    }
}
