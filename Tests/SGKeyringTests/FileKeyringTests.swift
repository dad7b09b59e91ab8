import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring
#if canImport(Glibc)
import Glibc
#endif

final class FileKeyringTests: XCTestCase {
    var dir: URL!
    var krDir: String { dir.path + "/state/sg/keyring" }

    override func setUpWithError() throws { dir = try TestPaths.makeTempDir("filekr") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0, path)
        return st.st_mode & 0o777
    }

    func testStoreLookupDeleteRoundTrip() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        XCTAssertNil(try kr.lookup(service: "isp-a", account: "p"))
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "one"))
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "two"))
        try kr.store(service: "isp-b", account: "p", secret: SecretBytes(string: "three"))
        XCTAssertEqual(try kr.lookup(service: "isp-a", account: "p")?.unsafeString(), "two")
        XCTAssertEqual(try kr.search(attributes: ["username": "p"], loadSecrets: false).count, 2)
        XCTAssertEqual(try kr.search(attributes: ["service": "isp-b"], loadSecrets: true).first?.secret?.unsafeString(), "three")
        XCTAssertTrue(try kr.delete(service: "isp-a", account: "p"))
        XCTAssertFalse(try kr.delete(service: "isp-a", account: "p"))
        XCTAssertNil(try kr.lookup(service: "isp-a", account: "p"))
        // A second instance (another process) reads what the first wrote.
        XCTAssertEqual(try FileKeyring(directory: krDir, passphrase: nil).lookup(service: "isp-b", account: "p")?.unsafeString(), "three")
    }

    // MARK: expired items leave the file at the next open (issue 13, item 19)

    /// What is in the file now, read without dropping anything.
    func onDisk(_ kr: FileKeyring) throws -> [String] {
        try kr.loadLocked().map { "\($0.service)/\($0.account)" }.sorted()
    }

    func testExpiredGitCredentialLeavesTheFileWhenAnyNameIsRead() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        let now = WallClock.now
        try kr.store(service: "git:https://a.example", account: "u", secret: ItemExpiry.packGit(SecretBytes(string: "pw-a"), expiresAt: now - 1))
        try kr.store(service: "git:https://b.example", account: "u", secret: ItemExpiry.packGit(SecretBytes(string: "pw-b"), expiresAt: now + 3600))
        try kr.store(service: "git:https://c.example", account: "u", secret: ItemExpiry.packGit(SecretBytes(string: "pw-c"), expiresAt: nil))
        try kr.store(service: "other", account: "u", secret: SecretBytes(string: "not sg's"))
        // The store of b dropped a (it was already past its time when b was written).
        XCTAssertEqual(try onDisk(kr), ["git:https://b.example/u", "git:https://c.example/u", "other/u"])

        // Stored expired (as a cache-ttl that ran out since), then another name is looked up.
        try kr.modify { items in
            items.append(KeyringItem(service: "git:https://d.example", account: "u", label: "d", attributes: [:],
                                     secret: ItemExpiry.packGit(SecretBytes(string: "pw-d"), expiresAt: now - 1)))
            return true
        }
        XCTAssertEqual(try onDisk(kr).count, 4)
        XCTAssertEqual(try kr.lookup(service: "other", account: "u")?.unsafeString(), "not sg's")
        XCTAssertEqual(try onDisk(kr), ["git:https://b.example/u", "git:https://c.example/u", "other/u"], "d was dropped by a read of another name")
    }

    func testExpiredTokensLeaveTheFileAsArkWouldDeleteThem() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        let dead = ArkToken(token: SecretBytes(string: "dead"), tokenType: .jwt, expiresIn: Instant.now.addingTimeInterval(-30))
        let refreshable = ArkToken(token: SecretBytes(string: "old"), tokenType: .jwt, expiresIn: Instant.now.addingTimeInterval(-3600),
                                   refreshToken: SecretBytes(string: "r"))
        try kr.modify { items in
            for (name, t) in [("isp-dead", dead), ("isp-refreshable", refreshable)] {
                items.append(KeyringItem(service: name, account: "p", label: name, attributes: [:], secret: t.serialized()))
            }
            return true
        }
        XCTAssertEqual(try onDisk(kr), ["isp-dead/p", "isp-refreshable/p"])
        try kr.store(service: "isp-new", account: "p", secret: SecretBytes(string: "x"))
        XCTAssertEqual(try onDisk(kr), ["isp-new/p", "isp-refreshable/p"], "a write drops what has expired too")
    }

    func testFilesAre0600AndFoldersAre0700() throws {
        let old = umask(0o022)
        defer { umask(old) }
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "x"))
        XCTAssertEqual(mode(krDir), 0o700)
        XCTAssertEqual(mode(dir.path + "/state/sg"), 0o700)
        XCTAssertEqual(mode(kr.dataPath), 0o600)
        XCTAssertEqual(mode(kr.keyPath), 0o600)
        XCTAssertEqual(mode(kr.lockPath), 0o600)
        // Nothing readable in clear.
        let raw = try String(contentsOfFile: kr.dataPath, encoding: .utf8)
        XCTAssertFalse(raw.contains("isp-a"))
        XCTAssertTrue(raw.hasPrefix(#"{"format":"sg-keyring","version":1,"kdf":{"name":"key-file"}"#))
    }

    func testLooseModesAreTightened() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "x"))
        chmod(krDir, 0o755); chmod(kr.dataPath, 0o644); chmod(kr.keyPath, 0o644)
        XCTAssertNotNil(try kr.lookup(service: "isp-a", account: "p"))
        XCTAssertEqual(mode(krDir), 0o700)
        XCTAssertEqual(mode(kr.dataPath), 0o600)
        XCTAssertEqual(mode(kr.keyPath), 0o600)
    }

    func testCorruptFileIsSetAsideNotFatal() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "x"))
        try "garbage{".write(toFile: kr.dataPath, atomically: false, encoding: .utf8)
        XCTAssertNil(try kr.lookup(service: "isp-a", account: "p"))
        let names = try FileManager.default.contentsOfDirectory(atPath: krDir)
        XCTAssertEqual(names.filter { $0.hasPrefix("keyring.corrupt-") }.count, 1, "\(names)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: kr.dataPath))
        // and the keyring works again
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "y"))
        XCTAssertEqual(try kr.lookup(service: "isp-a", account: "p")?.unsafeString(), "y")
    }

    func testTamperedCiphertextOrLostKeyIsSetAside() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "x"))
        unlink(kr.keyPath)
        XCTAssertNil(try kr.lookup(service: "isp-a", account: "p"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: krDir).filter { $0.hasPrefix("keyring.corrupt-") }.count, 1)
    }

    func testPassphraseKeyring() throws {
        let kr = try FileKeyring(directory: krDir, passphrase: SecretBytes(string: "correct horse"))
        try kr.store(service: "isp-a", account: "p", secret: SecretBytes(string: "x"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: kr.keyPath))
        XCTAssertTrue(try String(contentsOfFile: kr.dataPath, encoding: .utf8).contains(#""name":"scrypt""#))
        XCTAssertEqual(try FileKeyring(directory: krDir, passphrase: SecretBytes(string: "correct horse")).lookup(service: "isp-a", account: "p")?.unsafeString(), "x")
        // A wrong passphrase is an error and the file is kept.
        XCTAssertThrowsError(try FileKeyring(directory: krDir, passphrase: SecretBytes(string: "wrong")).lookup(service: "isp-a", account: "p")) {
            XCTAssertEqual(($0 as? SGError)?.exitCode, .unavailable)
        }
        XCTAssertThrowsError(try FileKeyring(directory: krDir, passphrase: nil).lookup(service: "isp-a", account: "p"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: kr.dataPath))
    }

    func testRefusesToWriteUnderArkCache() {
        XCTAssertThrowsError(try FileKeyring(directory: Environment.home() + "/.ark_cache/keyring", passphrase: nil))
    }

    func testDefaultDirectory() {
        XCTAssertEqual(FileKeyring.defaultDirectory(environment: ["HOME": "/h"]), "/h/.local/state/sg/keyring")
        XCTAssertEqual(FileKeyring.defaultDirectory(environment: ["HOME": "/h", "XDG_STATE_HOME": "/s"]), "/s/sg/keyring")
        var c = KeyringConfig(); c.directory = "/c"
        XCTAssertEqual(FileKeyring.defaultDirectory(config: c, environment: ["HOME": "/h"]), "/c")
        XCTAssertEqual(FileKeyring.defaultDirectory(config: c, environment: ["SG_KEYRING_DIR": "/e"]), "/e")
    }

    func testFiftyParallelWriterProcessesLoseNothing() throws {
        let statuses = try WorkerTests.spawn(count: 50, mode: "store", environment: ["SG_KEYRING_DIR": krDir])
        XCTAssertEqual(statuses, Array(repeating: 0, count: 50))
        let kr = try FileKeyring(directory: krDir, passphrase: nil)
        let items = try kr.search(attributes: ["username": "parallel"], loadSecrets: true)
        XCTAssertEqual(items.count, 50)
        for i in 0..<50 {
            XCTAssertEqual(try kr.lookup(service: "isp-worker\(i)", account: "parallel")?.unsafeString(), "secret-\(i)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: krDir)
        XCTAssertEqual(names.filter { $0.contains("corrupt") || $0.contains(".tmp") }, [])
    }
}
