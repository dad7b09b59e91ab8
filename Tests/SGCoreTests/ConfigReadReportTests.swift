import XCTest
@testable import SGCore

/// Issue 19: a name that is not found says which config files were read, which were looked for
/// and missing, and points out a `config.yml` that sg never reads; config mistakes a newcomer
/// makes get messages that say what to change.
final class ConfigReadReportTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TestDirs.make("config-read")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    func testUnknownSecretNamesTheFilesLookedForAndAConfigYmlBesideThem() throws {
        let yml = try write("xdg/sg/config.yml", "version: 1\nprofiles: {p: {appliances: [a]}}\n")
        let expected = dir.path + "/xdg/sg/config.yaml"
        let system = dir.path + "/etc/config.yaml"
        let config = try ConfigLoader.load(environment: ["XDG_CONFIG_HOME": dir.path + "/xdg", "HOME": "/nonexistent"], systemPath: system)
        XCTAssertEqual(config.searched, [system, expected])
        XCTAssertThrowsError(try config.secret("demo-db")) { e in
            let error = e as? SGError
            XCTAssertEqual(error?.exitCode, .unknownSecret)
            let m = error?.message ?? ""
            XCTAssertTrue(m.hasPrefix("unknown secret 'demo-db': define it under 'secrets:'"), m)
            XCTAssertTrue(m.contains("config read: none; not found: \(system), \(expected)"), m)
            XCTAssertTrue(m.contains("\(yml) is never read: rename it to \(expected)"), m)
            XCTAssertFalse(m.contains("\n"), m)
        }
        XCTAssertThrowsError(try config.defaultProfile()) { e in
            let m = (e as? SGError)?.message ?? ""
            XCTAssertTrue(m.contains("no profiles defined") && m.contains("not found: \(system), \(expected)"), m)
        }
    }

    func testUnknownProfileAndSecretNameTheFileThatWasRead() throws {
        let user = try write("user.yaml", "version: 1\nprofiles: {p: {appliances: [a]}, q: {appliances: [b]}}\n")
        let config = try ConfigLoader.load(environment: ["SG_CONFIG": user, "HOME": "/nonexistent"], systemPath: dir.path + "/none.yaml")
        let lookups: [() throws -> Void] = [{ _ = try config.secret("nope") }, { _ = try config.profile("nope") }, { _ = try config.defaultProfile() }]
        for body in lookups {
            XCTAssertThrowsError(try body()) { e in
                let m = (e as? SGError)?.message ?? ""
                XCTAssertTrue(m.contains("config read: \(user); not found: \(self.dir.path)/none.yaml"), m)
            }
        }
    }

    func testATabInTheIndentationIsNamedWithItsLine() {
        XCTAssertThrowsError(try ConfigLoader.parse("version: 1\nprofiles:\n  p:\n\tappliances: [a]\n", file: "/x/c.yaml")) { e in
            let m = (e as? SGError)?.message ?? ""
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
            XCTAssertTrue(m.hasPrefix("config: /x/c.yaml:4: a tab in the indentation; YAML indents with spaces only"), m)
        }
        XCTAssertEqual(ConfigParser.firstTabIndentedLine("a: 1\n  - \tb\n"), 2)
        XCTAssertNil(ConfigParser.firstTabIndentedLine("a: \"x\ty\"\n"))
    }

    func testAnEmptyAPIKeyOrPassphraseSourceIsRefusedLocally() throws {
        let empty = try write("empty.key", "")
        let newline = try write("newline.key", "\n")
        for path in [empty, newline] {
            XCTAssertThrowsError(try SecretSource.file(path).resolve(what: "API key of secret 'db'")) { e in
                XCTAssertEqual((e as? SGError)?.exitCode, .config)
                XCTAssertEqual((e as? SGError)?.message, "config: API key of secret 'db': file \(path) is empty")
            }
        }
        setenv("SG_TEST_EMPTY_SOURCE", "", 1)
        XCTAssertThrowsError(try SecretSource.env("SG_TEST_EMPTY_SOURCE").resolve(what: "client key passphrase")) { e in
            XCTAssertEqual((e as? SGError)?.message, "config: client key passphrase: environment variable SG_TEST_EMPTY_SOURCE is empty")
        }
        XCTAssertThrowsError(try SecretSource.command("true").resolve(what: "x")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
        }
        XCTAssertEqual(try SecretSource.file(try write("k", "key\n")).resolve(what: "x").count, 3)
    }

    func testSecretsAndCAsRememberWhereTheyWereWritten() throws {
        let c = try ConfigLoader.parse("version: 1\nprofiles:\n  p:\n    appliances: [a]\n    ca: ca.pem\nsecrets:\n  s: {api-key: {env: K}}\n", file: "/x/c.yaml")
        XCTAssertEqual(c.secrets["s"]?.origin, "/x/c.yaml:7")
        XCTAssertEqual(c.profiles["p"]?.tls.caOrigin, "profile p, /x/c.yaml:5")
    }
}
