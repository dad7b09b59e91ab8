import XCTest
@testable import SGCore

final class ConfigLoaderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TestDirs.make("config")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode_t(mode))
        return path
    }

    let full = """
    version: 1
    default-profile: spp
    profiles:
      spp:
        appliances: [spp1.corp.example, "spp2.corp.example:8443", "[::1]:9443"]
        ca: ca.pem
        pin: ["sha256//AAAA"]
        tls-max: "1.2"
        timeouts: {connect: 2, total: 10}
        pool: 6
        client:
          cert: client.pem
          key: client.key
          key-passphrase: {env: KEYPASS}
        provider: ad1
        username: alice
        otp: {command: "echo 123456"}
        login: pkce
      ark:
        kind: cyberark-identity
        tenant: abc.id.cyberark.cloud/
        username: alice@corp
        mechanism: email
        service-user: {name: svc@corp, secret: {file: svc.secret}}
    secrets:
      db:
        profile: spp
        api-key: {file: keys/db}
        username: dbadmin
      deploy:
        kind: private-key
        api-key: {env: DEPLOY_KEY}
        format: PuTTY
        passphrase: deploy-pass
      tok:
        kind: token
        profile: ark
    git:
      store-unmapped: true
      rules:
        - {url: "https://git.corp.example/team", secret: db, username: svc, cache-ttl: 0}
    ssh:
      keys: [{path: "~/.ssh/id_*", secret: deploy-pass}]
      passwords: [{match: "root@*.corp", secret: db}]
    keyring: {backend: file, dbus-timeout-ms: 500}
    """

    func testFullConfigParsesEverySection() throws {
        let path = try write("config.yaml", full)
        let c = try ConfigLoader.loadFile(path, home: "/home/u")
        guard case .safeguard(let spp) = try c.profile("spp") else { return XCTFail("not safeguard") }
        XCTAssertEqual(spp.appliances, [Appliance(host: "spp1.corp.example"), Appliance(host: "spp2.corp.example", port: 8443), Appliance(host: "::1", port: 9443)])
        XCTAssertEqual(spp.appliances[2].baseURL, "https://[::1]:9443")
        XCTAssertEqual(spp.tls.caFile, dir.path + "/ca.pem")
        XCTAssertEqual(spp.tls.tlsMax, .v1_2)
        XCTAssertEqual(spp.tls.connectTimeout, 2)
        XCTAssertEqual(spp.tls.totalTimeout, 10)
        XCTAssertEqual(spp.tls.poolSize, 6)
        XCTAssertEqual(spp.provider, "ad1")
        XCTAssertEqual(spp.loginMethod, "pkce")
        guard case .pem(let cert, let key, let pass)? = spp.client else { return XCTFail("no pem identity") }
        XCTAssertEqual(cert, dir.path + "/client.pem")
        XCTAssertEqual(key, dir.path + "/client.key")
        XCTAssertEqual(pass, .env("KEYPASS"))
        guard case .identity(let ark) = try c.profile("ark") else { return XCTFail("not identity") }
        XCTAssertEqual(ark.tenantURL, "https://abc.id.cyberark.cloud")
        XCTAssertEqual(ark.serviceUser?.app, "__idaptive_cybr_user_oidc")
        XCTAssertEqual(ark.serviceUser?.secret, .file(dir.path + "/svc.secret"))
        XCTAssertEqual(try c.secret("deploy").format, .putty)
        XCTAssertEqual(try c.secret("deploy").passphraseSecret, "deploy-pass")
        XCTAssertEqual(try c.secret("tok").kind, .token)
        XCTAssertEqual(c.git.rules.first?.cacheTTL, 0)
        XCTAssertTrue(c.git.storeUnmapped)
        XCTAssertEqual(c.ssh.keys.first?.pathGlob, "/home/u/.ssh/id_*")
        XCTAssertEqual(c.keyring.backend, .file)
        XCTAssertEqual(c.keyring.dbusTimeoutMs, 500)
        XCTAssertEqual(c.secretEnvironmentVariables, ["KEYPASS", "DEPLOY_KEY"])
        XCTAssertEqual(try c.defaultProfile().name, "spp")
    }

    func assertConfigError(_ text: String, contains expected: String, line: Int? = nil, file: StaticString = #filePath, sourceLine: UInt = #line) {
        do {
            _ = try ConfigLoader.parse(text, file: "/x/c.yaml")
            XCTFail("no error", file: file, line: sourceLine)
        } catch let e as SGError {
            XCTAssertEqual(e.exitCode, .config, file: file, line: sourceLine)
            XCTAssertTrue(e.message.contains(expected), "\(e.message)", file: file, line: sourceLine)
            if let line { XCTAssertTrue(e.message.contains("/x/c.yaml:\(line):"), "\(e.message)", file: file, line: sourceLine) }
        } catch {
            XCTFail("\(error)", file: file, line: sourceLine)
        }
    }

    func testErrorsNameFileLineAndFix() {
        assertConfigError("profiles: {}\n", contains: "missing 'version: 1'")
        assertConfigError("version: 2\n", contains: "unsupported version", line: 1)
        assertConfigError("version: 1\nprofles: {}\n", contains: "unknown key 'profles'", line: 2)
        assertConfigError("version: 1\nprofiles:\n  p:\n    appliances: [a]\n    tls-max: 1.1\n", contains: "tls-max must be", line: 5)
        assertConfigError("version: 1\nprofiles:\n  p:\n    appliances: [http://a]\n", contains: "http:// is refused", line: 4)
        assertConfigError("version: 1\nprofiles:\n  p: {kind: nope}\n", contains: "unknown profile kind", line: 3)
        assertConfigError("version: 1\nprofiles:\n  p: {ca: x}\n", contains: "needs 'appliances", line: 3)
        assertConfigError("version: 1\nsecrets:\n  s: {kind: password}\n", contains: "needs 'api-key'", line: 3)
        assertConfigError("version: 1\nsecrets:\n  s: {kind: pass, api-key: x}\n", contains: "kind must be one of", line: 3)
        assertConfigError("version: 1\nsecrets:\n  s: {api-key: x, profile: nope}\n", contains: "profile 'nope'")
        assertConfigError("version: 1\ngit:\n  rules:\n    - {url: http://h, secret: s}\n", contains: "allow-http", line: 4)
        assertConfigError("version: 1\nprofiles: [\n", contains: "/x/c.yaml")
        assertConfigError("version: 1\nprofiles:\n  p:\n    appliances: [a]\n    pool: 99\n", contains: "pool must be a whole number", line: 5)
        assertConfigError("version: 1\nsecrets:\n  'bad name': {api-key: x}\n", contains: "bad secret name")
        assertConfigError("", contains: "empty file")
    }

    /// The words each message names a node by are built only when there is an error
    /// (autoclosures, docs/secret-service-startup.md): every path that builds them still says
    /// which key, which secret and which source, never a closure's description.
    func testMessagesNameTheNodeTheyAreAbout() {
        let secret = "version: 1\nsecrets:\n  db:\n"
        let cases: [(String, String, Int)] = [
            (secret + "    api-key: x\n    bogus: 1\n",
             "unknown key 'bogus' in secret db (allowed: api-key, field, format, git-urls, kind, passphrase, profile, username)", 5),
            (secret + "    api-key: x\n    kind: password\n    kind: password\n", "duplicate key 'kind' in secret db", 6),
            (secret + "    api-key: {env: A, file: b}\n", "api-key takes exactly one of env, file, command", 4),
            (secret + "    api-key: {file: ''}\n", "api-key.file is empty", 4),
            (secret + "    api-key: {env: [A]}\n", "api-key.env must be a single value", 4),
            (secret + "    api-key: {command: {a: b}}\n", "api-key.command must be a single value", 4),
            (secret + "    api-key: {url: x}\n", "unknown key 'url' in api-key (allowed: command, env, file)", 4),
            (secret + "    api-key: x\n    username: [a]\n", "username must be a single value", 5),
            ("version: 1\nsecrets: [a]\n", "secrets must be a mapping", 2),
            ("version: 1\nprofiles:\n  p: [a]\n", "profile p must be a mapping", 3),
            ("version: 1\nprofiles:\n  p: {appliances: [a], client: {cert: c, key: k, key-passphrase: {file: ''}}}\n",
             "client.key-passphrase.file is empty", 3),
            ("version: 1\nkeyring: {dbus-timeout-ms: 5}\n", "dbus-timeout-ms must be a whole number from 50 to 60000, not '5'", 2),
        ]
        for (text, expected, line) in cases {
            assertConfigError(text, contains: expected, line: line)
            do { _ = try ConfigLoader.parse(text, file: "/x/c.yaml") } catch {
                XCTAssertFalse("\(error)".contains("(Function)"), "\(error)")
            }
        }
    }

    /// Duplicate names are found however many there are: a scan of the names so far for a short
    /// list, a hashed set past 128 (KeySeen), so the check stays linear in a large file.
    func testDuplicateNamesAreFoundInShortAndLongLists() {
        for count in [3, 127, 128, 129, 400] {
            var text = "version: 1\nsecrets:\n"
            for i in 0..<count { text += "  s\(i): {api-key: {env: K}}\n" }
            let duplicate = "s\(count / 2)"
            text += "  \(duplicate): {api-key: {env: K}}\n"
            assertConfigError(text, contains: "duplicate key '\(duplicate)' in secrets", line: count + 3)
            var valid = "version: 1\nsecrets:\n"
            for i in 0..<count { valid += "  s\(i): {api-key: {env: K}}\n" }
            XCTAssertEqual(try ConfigLoader.parse(valid, file: "/x/c.yaml").secrets.count, count)
        }
    }

    func testInlineAPIKeyRequiresPrivateFile() throws {
        let text = "version: 1\nprofiles: {p: {appliances: [a]}}\nsecrets:\n  s: {api-key: inline-key}\n"
        let open = try write("open.yaml", text, mode: 0o644)
        XCTAssertThrowsError(try ConfigLoader.loadFile(open)) { e in
            guard case .unsafePermissions(_, _, let fix) = e as? SGError else { return XCTFail("\(e)") }
            XCTAssertEqual(fix, "chmod 600 \(open)")
            XCTAssertFalse((e as! SGError).message.contains("inline-key"))
        }
        let closed = try write("closed.yaml", text, mode: 0o600)
        XCTAssertNoThrow(try ConfigLoader.loadFile(closed))
        // No inline secrets: a readable file is fine.
        let plain = try write("plain.yaml", "version: 1\nprofiles: {p: {appliances: [a]}}\nsecrets:\n  s: {api-key: {env: K}}\n", mode: 0o644)
        XCTAssertNoThrow(try ConfigLoader.loadFile(plain))
    }

    func testGroupWritableConfigIsRefused() throws {
        let path = try write("gw.yaml", "version: 1\n", mode: 0o664)
        XCTAssertThrowsError(try ConfigLoader.loadFile(path)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
            XCTAssertTrue((e as? SGError)?.message.contains("chmod go-w") ?? false)
        }
    }

    func testLayeringUserOverSystemAndEnvironment() throws {
        let system = try write("system.yaml", "version: 1\nprofiles: {a: {appliances: [sys]}, b: {appliances: [b]}}\ngit: {rules: [{url: https://sys, secret: s}]}\nsecrets: {s: {api-key: {env: X}, profile: a}}\n", mode: 0o644)
        let user = try write("user.yaml", "version: 1\ndefault-profile: a\nprofiles: {a: {appliances: [user]}}\ngit: {rules: [{url: https://user, secret: s}]}\n")
        let c = try ConfigLoader.load(environment: ["SG_CONFIG": user, "HOME": "/nonexistent"], systemPath: system)
        guard case .safeguard(let a) = try c.profile("a") else { return XCTFail() }
        XCTAssertEqual(a.appliances.first?.host, "user")
        XCTAssertNotNil(c.profiles["b"])
        XCTAssertEqual(c.git.rules.map(\.url), ["https://user", "https://sys"])
        XCTAssertEqual(c.files, [system, user])
        let c2 = try ConfigLoader.load(environment: ["SG_CONFIG": user, "SG_PROFILE": "b", "HOME": "/nonexistent"], systemPath: system)
        XCTAssertEqual(try c2.defaultProfile().name, "b")
        XCTAssertThrowsError(try ConfigLoader.load(environment: ["SG_CONFIG": user, "SG_PROFILE": "zz", "HOME": "/n"], systemPath: system))
        XCTAssertThrowsError(try ConfigLoader.load(environment: ["SG_CONFIG": dir.path + "/missing.yaml", "HOME": "/n"], systemPath: "/nonexistent"))
    }

    func testXDGPathIsUsedWithoutSGConfig() {
        XCTAssertEqual(ConfigLoader.userPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]), "/x/sg/config.yaml")
        XCTAssertEqual(ConfigLoader.userPath(environment: ["HOME": "/h"]), "/h/.config/sg/config.yaml")
        XCTAssertEqual(ConfigLoader.userPath(environment: ["SG_CONFIG": "/c.yaml", "HOME": "/h"]), "/c.yaml")
    }

    func testSecretSourcesResolve() throws {
        let f = try write("pass", "from-file\n")
        XCTAssertEqual(try SecretSource.file(f).resolve(what: "t").unsafeString(), "from-file")
        setenv("SG_TEST_SRC", "from-env", 1)
        XCTAssertEqual(try SecretSource.env("SG_TEST_SRC").resolve(what: "t").unsafeString(), "from-env")
        XCTAssertEqual(try SecretSource.command("printf 'from-cmd\\n'").resolve(what: "t").unsafeString(), "from-cmd")
        XCTAssertThrowsError(try SecretSource.command("exit 3").resolve(what: "t"))
        XCTAssertThrowsError(try SecretSource.env("SG_TEST_UNSET_VAR_X").resolve(what: "t"))
        let readable = try write("readable", "x", mode: 0o644)
        XCTAssertThrowsError(try SecretSource.file(readable).resolve(what: "t")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
        }
    }

    // MARK: the opened file and the folders above it (issue 13, item 18)

    static let nobody: uid_t = 65534

    /// A folder under the test's private one, with `mode` (set after creation, so the umask does
    /// not matter) and, when given, another owner.
    func folder(_ relative: String, mode: mode_t, owner: uid_t? = nil) throws -> String {
        let path = dir.appendingPathComponent(relative).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        XCTAssertEqual(chmod(path, mode), 0)
        if let owner { XCTAssertEqual(chown(path, owner, gid_t(owner)), 0, "chown needs root: the tests run as root") }
        return path
    }

    func config(in folder: String) throws -> String {
        let path = folder + "/config.yaml"
        try "version: 1\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    func assertRefused(_ path: String, naming folder: String, _ problem: String, fix: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ConfigLoader.loadFile(path, home: "/h"), file: file, line: line) { e in
            guard case .unsafePermissions(let p, let text, let f)? = e as? SGError else { return XCTFail("\(e)", file: file, line: line) }
            XCTAssertEqual((e as? SGError)?.exitCode, .config, file: file, line: line)
            XCTAssertEqual(p, path, file: file, line: line)
            XCTAssertEqual(text, "the folder \(folder) above it is \(problem)", file: file, line: line)
            XCTAssertEqual(f, fix, file: file, line: line)
        }
    }

    func testConfigInAWorldWritableFolderIsRefused() throws {
        let open = try folder("open", mode: 0o777)
        assertRefused(try config(in: open), naming: open, "writable by group or others", fix: "chmod go-w \(open)")
        // Any folder above counts, not only the file's own.
        let inner = try folder("open/inner", mode: 0o700)
        assertRefused(try config(in: inner), naming: open, "writable by group or others", fix: "chmod go-w \(open)")
        let group = try folder("group", mode: 0o770)
        assertRefused(try config(in: group), naming: group, "writable by group or others", fix: "chmod go-w \(group)")
    }

    func testRootsStickyFolderIsAcceptedOthersStickyFolderIsNot() throws {
        XCTAssertNoThrow(try ConfigLoader.loadFile(try config(in: try folder("sticky", mode: 0o1777)), home: "/h"))
        let theirs = try folder("their-sticky", mode: 0o1777, owner: Self.nobody)
        assertRefused(try config(in: theirs), naming: theirs, "owned by uid 65534, not by you or root", fix: "chown 0 \(theirs)")
    }

    func testAFolderOwnedByAnotherUserIsRefused() throws {
        let theirs = try folder("theirs", mode: 0o755, owner: Self.nobody)
        let mine = try folder("theirs/mine", mode: 0o700)
        assertRefused(try config(in: mine), naming: theirs, "owned by uid 65534, not by you or root", fix: "chown 0 \(theirs)")
    }

    /// A symlink: the folder holding the link and the folders above the file it leads to both count.
    func testBothTheLinkAndItsTargetAreChecked() throws {
        let safe = try folder("safe", mode: 0o700)
        let open = try folder("open", mode: 0o777)
        let target = try config(in: open)
        XCTAssertEqual(symlink(target, safe + "/via-link.yaml"), 0)
        assertRefused(safe + "/via-link.yaml", naming: open, "writable by group or others", fix: "chmod go-w \(open)")
        let good = try config(in: safe)
        XCTAssertEqual(symlink(good, open + "/link.yaml"), 0)
        assertRefused(open + "/link.yaml", naming: open, "writable by group or others", fix: "chmod go-w \(open)")
        XCTAssertNoThrow(try ConfigLoader.loadFile(good, home: "/h"))
    }

    func testAFileOwnedByAnotherUserIsRefused() throws {
        let path = try config(in: try folder("mine", mode: 0o700))
        XCTAssertEqual(chown(path, Self.nobody, gid_t(Self.nobody)), 0)
        XCTAssertThrowsError(try ConfigLoader.loadFile(path, home: "/h")) { e in
            guard case .unsafePermissions(_, let problem, _)? = e as? SGError else { return XCTFail("\(e)") }
            XCTAssertEqual(problem, "owned by uid 65534, not by you")
        }
    }

    /// API-key files, passphrase files and client keys go through the same reader.
    func testSecretFilesInAnOpenFolderAreRefused() throws {
        let open = try folder("open", mode: 0o777)
        let key = open + "/apikey"
        try "key".write(toFile: key, atomically: false, encoding: .utf8)
        chmod(key, 0o600)
        XCTAssertThrowsError(try SecretSource.file(key).resolve(what: "api-key")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
            XCTAssertTrue((e as? SGError)?.message.contains("chmod go-w \(open)") ?? false, "\(e)")
        }
        XCTAssertThrowsError(try FileSafety.check(key, holdsSecrets: false))
    }

    /// The size cap holds while the file is read: a config over 1 MiB is refused (exit 78).
    func testConfigOverOneMiBIsRefused() throws {
        let path = try write("big.yaml", "version: 1\n#" + String(repeating: "x", count: YAML.maxInputBytes) + "\n")
        XCTAssertThrowsError(try ConfigLoader.loadFile(path, home: "/h")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
            XCTAssertEqual((e as? SGError)?.message, "config: \(path) is larger than 1 MiB, the most sg reads from it")
        }
    }

    /// A FIFO with no writer: the open does not wait for one.
    func testAFIFOWithoutAWriterDoesNotHang() throws {
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try ConfigLoader.loadFile(fifo, home: "/h")) { e in
            XCTAssertTrue("\(e)".contains("empty file"), "\(e)")
        }
    }
}

enum TestDirs {
    static func make(_ label: String) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sg-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }
}
