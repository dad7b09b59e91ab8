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
        XCTAssertEqual(names.filter { $0.contains("corrupt") || $0.contains(".tmp-") }, [])
    }
}
