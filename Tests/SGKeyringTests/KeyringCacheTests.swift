import Foundation
import SGCore
import SGTestSupport
import SGKeyring
import XCTest

/// The one credential cache git-credential-sg and the docker/kubectl plugins keep in the keyring,
/// on real encrypted file keyrings: expiry, per-account lookup, the two collections, and the item
/// layout earlier releases wrote.
final class KeyringCacheTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try TestPaths.makeTempDir("kcache") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A file-backend environment whose runtime folder and keyring folder are under `dir`.
    var environment: [String: String] {
        ["SG_KEYRING": "file", "XDG_RUNTIME_DIR": dir.path + "/run", "SG_KEYRING_DIR": dir.path + "/persistent", "HOME": dir.path]
    }

    func testStoresExpiresAndErases() throws {
        let backend = try FileKeyring(directory: dir.path + "/sub/git-session", passphrase: nil)
        let cache = KeyringCache(backend: backend)
        XCTAssertNil(try cache.lookup(service: "s", account: nil))
        try cache.store(service: "s", account: "a", value: SecretBytes(string: "v1 with spaces\n\u{0}and NUL"), expiresAt: nil)
        try cache.store(service: "s", account: "b", value: SecretBytes(string: "v2"), expiresAt: WallClock.now + 100)
        try cache.store(service: "s", account: "c", value: SecretBytes(string: "old"), expiresAt: WallClock.now - 1)
        try backend.store(service: "s", account: "foreign", secret: SecretBytes(string: "not ours"))
        XCTAssertEqual(try cache.lookup(service: "s", account: "a")?.value.unsafeString(), "v1 with spaces\n\u{0}and NUL")
        XCTAssertNil(try cache.lookup(service: "s", account: "a")?.expiresAt)
        XCTAssertEqual(try cache.lookup(service: "s", account: "b")?.expiresAt ?? 0, WallClock.now + 100, accuracy: 2)
        XCTAssertEqual(try cache.lookup(service: "s", account: nil)?.account, "a")
        XCTAssertNil(try cache.lookup(service: "s", account: "c"), "expired entries are not returned")
        XCTAssertNil(try backend.lookup(service: "s", account: "c"), "...and are deleted when seen")
        XCTAssertNil(try cache.lookup(service: "s", account: "foreign"), "items not written by the cache are ignored")
        XCTAssertEqual(try cache.entries(service: "s").map(\.account), ["a", "b"])
        try cache.store(service: "s", account: "a", value: SecretBytes(string: "v3"), expiresAt: nil)
        XCTAssertEqual(try cache.lookup(service: "s", account: "a")?.value.unsafeString(), "v3")
        XCTAssertEqual(try cache.erase(service: "s", account: "a"), 1)
        XCTAssertEqual(try cache.erase(service: "s"), 2, "without an account every item of the service goes, foreign ones too")
        XCTAssertNil(try cache.lookup(service: "s", account: nil))
        // Encrypted at rest: the value is not in the file.
        let data = try Data(contentsOf: dir.appendingPathComponent("sub/git-session/keyring"))
        try cache.store(service: "s", account: "z", value: SecretBytes(string: "findable-plaintext"), expiresAt: nil)
        let after = try Data(contentsOf: dir.appendingPathComponent("sub/git-session/keyring"))
        XCTAssertNotEqual(data, after)
        XCTAssertNil(after.range(of: Data("findable-plaintext".utf8)))
    }

    func testEntriesOfOneAccountHoldOnlyItsUnexpiredItem() throws {
        let backend = try FileKeyring(directory: dir.path + "/kr", passphrase: nil)
        let cache = KeyringCache(backend: backend)
        try cache.store(service: "sg-kube:x", account: "prod", value: SecretBytes(string: "p"), expiresAt: WallClock.now + 60)
        try cache.store(service: "sg-kube:x", account: "dev", value: SecretBytes(string: "d"), expiresAt: WallClock.now - 1)
        try cache.store(service: "sg-kube:y", account: "prod", value: SecretBytes(string: "other service"), expiresAt: nil)
        XCTAssertEqual(try cache.entries(service: "sg-kube:x", account: "prod").map { $0.value.unsafeString() }, ["p"])
        XCTAssertEqual(try cache.entries(service: "sg-kube:x", account: "dev").count, 0, "expired")
        XCTAssertEqual(try cache.entries(service: "sg-kube:x").map(\.account), ["prod"])
        XCTAssertEqual(try cache.entries(service: "sg-kube:x", account: "nobody").count, 0)
        XCTAssertEqual(try cache.erase(service: "sg-kube:x", account: "nobody"), 0)
    }

    func testItemsWithServicePrefixListEveryAccountWithoutLoadingSecrets() throws {
        let cache = KeyringCache(backend: try FileKeyring(directory: dir.path + "/kr", passphrase: nil))
        try cache.store(service: "git:https://h/", account: "a", value: SecretBytes(string: "1"), expiresAt: nil)
        try cache.store(service: "git:https://h/repo", account: "a", value: SecretBytes(string: "2"), expiresAt: nil)
        try cache.store(service: "git:https://h/repo", account: "b", value: SecretBytes(string: "3"), expiresAt: nil)
        try cache.store(service: "git:https://hx/", account: "a", value: SecretBytes(string: "4"), expiresAt: nil)
        let found = try cache.items(withServicePrefix: "git:https://h/").map { "\($0.service) \($0.account)" }.sorted()
        XCTAssertEqual(found, ["git:https://h/ a", "git:https://h/repo a", "git:https://h/repo b"])
        XCTAssertEqual(try cache.items(withServicePrefix: "").count, 4)
    }

    /// Session copies and persistent items are two keyrings: the session one in the runtime folder
    /// under the caller's folder name, the persistent one where every sg tool keeps items.
    func testSessionAndPersistentCollectionsAreSeparateKeyrings() throws {
        try FileManager.default.createDirectory(atPath: dir.path + "/run", withIntermediateDirectories: true)
        let config = KeyringConfig()
        let session = try KeyringCache.open(.session, sessionFolder: "tool-session", config: config, environment: environment)
        let persistent = try KeyringCache.open(.persistent, sessionFolder: "tool-session", config: config, environment: environment)
        try session.store(service: "s", account: "a", value: SecretBytes(string: "short-lived"), expiresAt: WallClock.now + 60)
        try persistent.store(service: "s", account: "a", value: SecretBytes(string: "kept"), expiresAt: nil)
        XCTAssertEqual(try session.lookup(service: "s", account: "a")?.value.unsafeString(), "short-lived")
        XCTAssertEqual(try persistent.lookup(service: "s", account: "a")?.value.unsafeString(), "kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/run/sg/tool-session/keyring"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/persistent/keyring"))
        // Reopened (the next run of the tool), each finds its own copy again.
        let again = try KeyringCache.open(.session, sessionFolder: "tool-session", config: config, environment: environment)
        XCTAssertEqual(try again.lookup(service: "s", account: "a")?.value.unsafeString(), "short-lived")
        XCTAssertNil(try KeyringCache.open(.session, sessionFolder: "other-session", config: config, environment: environment)
            .lookup(service: "s", account: "a"), "another tool's session folder is another keyring")
    }

    /// Caches written before the git helper and the plugins shared this type stay readable: the
    /// item is service + account with `sg-git/1 <seconds or 0>\n<value>` as its secret.
    func testItemLayoutIsTheSgGitHeaderThenTheValue() throws {
        let backend = try FileKeyring(directory: dir.path + "/kr", passphrase: nil)
        let cache = KeyringCache(backend: backend)
        try backend.store(service: "git:https://h/", account: "u", secret: SecretBytes(string: "sg-git/1 0\nold-value"))
        try backend.store(service: "git:https://h/", account: "v", secret: SecretBytes(string: "sg-git/1 4102444800\nlater"))
        XCTAssertEqual(try cache.lookup(service: "git:https://h/", account: "u")?.value.unsafeString(), "old-value")
        XCTAssertNil(try cache.lookup(service: "git:https://h/", account: "u")?.expiresAt)
        XCTAssertEqual(try cache.lookup(service: "git:https://h/", account: "v")?.expiresAt, 4102444800)
        try cache.store(service: "sg-docker:r", account: "w", value: SecretBytes(string: "new"), expiresAt: 4102444800)
        XCTAssertEqual(try backend.lookup(service: "sg-docker:r", account: "w")?.unsafeString(), "sg-git/1 4102444800\nnew")
        let item = try XCTUnwrap(backend.search(attributes: ["service": "sg-docker:r"], loadSecrets: false).first)
        XCTAssertEqual(item.attributes, KeyringItem.attributes(service: "sg-docker:r", account: "w"))
    }
}
