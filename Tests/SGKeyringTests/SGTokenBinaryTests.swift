import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring

/// The real `sg-token` binary in each bus situation: each run is its own process, so each gets
/// its own libsecret connection.
final class SGTokenBinaryTests: XCTestCase {
    static let config = """
    version: 1
    profiles:
      ark:
        kind: cyberark-identity
        tenant: https://abc1234.id.cyberark.cloud
        username: alice@example.cyberark.cloud
    """

    let sgToken = TestPaths.binary("sg-token")

    func writeConfig(_ s: SecretServiceSession) throws {
        try FileManager.default.createDirectory(atPath: s.home + "/.config/sg", withIntermediateDirectories: true)
        try Self.config.write(toFile: s.home + "/.config/sg/config.yaml", atomically: true, encoding: .utf8)
    }

    func testLockedKeyringIsReportedNotAMiss() throws {
        let s = try SecretServiceSession.start(.locked)
        defer { s.stop() }
        try writeConfig(s)
        for args in [["status"], ["get", "-p", "ark"], ["list"]] {
            let r = try s.run([sgToken] + args)
            XCTAssertEqual(r.status, 69, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("login keyring is locked"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        // auto also picks the Secret Service here (it answers), so the lock is not hidden by the file.
        let auto = try s.run([sgToken, "get"])
        XCTAssertEqual(auto.status, 69, auto.stderr)
    }

    /// A daemon that stops answering (here: stopped with SIGSTOP) costs keyring.dbus-timeout-ms,
    /// not GDBus's 25 s default: libsecret's calls are cancelled when the time is up.
    func testHungDaemonIsBoundedByTheDBusTimeout() throws {
        let s = try SecretServiceSession.start(.unlocked)
        defer { s.stop() }
        try FileManager.default.createDirectory(atPath: s.home + "/.config/sg", withIntermediateDirectories: true)
        try (Self.config + "\nkeyring: {dbus-timeout-ms: 300}\n")
            .write(toFile: s.home + "/.config/sg/config.yaml", atomically: true, encoding: .utf8)
        let pid = try XCTUnwrap(s.keyringProcessIdentifier)
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let started = Date()
        let r = try s.run([sgToken, "get", "-p", "ark"], extra: ["SG_KEYRING": "secret-service"], timeout: 60)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("did not answer within 300 ms (keyring.dbus-timeout-ms is 300)"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "bounded by the timeout, not GDBus's 25 s default")
    }

    /// A libsecret that cannot be loaded is one line naming it and the package, exit 69.
    func testLibsecretThatCannotBeLoadedIsOneLine() throws {
        let s = try SecretServiceSession.start(.unlocked)
        defer { s.stop() }
        try writeConfig(s)
        let broken = s.home + "/broken-lib"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        try "not an ELF file".write(toFile: broken + "/libsecret-1.so.0", atomically: true, encoding: .utf8)
        for keyring in ["secret-service", "auto"] {
            let r = try s.run([sgToken, "get", "-p", "ark"], extra: ["SG_KEYRING": keyring, "LD_LIBRARY_PATH": broken])
            if keyring == "auto" {
                // auto cannot ask the bus without libsecret: it uses the file and status says why.
                XCTAssertEqual(r.status, 77, r.stderr)
                let status = try s.run([sgToken, "status"], extra: ["LD_LIBRARY_PATH": broken])
                XCTAssertEqual(status.status, 0, status.stderr)
                XCTAssertTrue(status.stdout.hasPrefix("keyring: file ("), status.stdout)
                XCTAssertTrue(status.stdout.contains("cannot load libsecret-1.so.0"), status.stdout)
                continue
            }
            XCTAssertEqual(r.status, 69, r.stderr)
            XCTAssertTrue(r.stderr.contains("cannot load libsecret-1.so.0 ("), r.stderr)
            XCTAssertTrue(r.stderr.contains("install libsecret-1-0"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }

    func testNoSessionBus() throws {
        let s = try SecretServiceSession.start(.noSecretService)
        defer { s.stop() }
        try writeConfig(s)
        let forced = try s.run([sgToken, "status"], extra: ["SG_KEYRING": "secret-service", "XDG_RUNTIME_DIR": s.home],
                               removing: ["DBUS_SESSION_BUS_ADDRESS"])
        XCTAssertEqual(forced.status, 69, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("no D-Bus session bus"), forced.stderr)
        let auto = try s.run([sgToken, "status"], extra: ["XDG_RUNTIME_DIR": s.home], removing: ["DBUS_SESSION_BUS_ADDRESS"])
        XCTAssertEqual(auto.status, 0, auto.stderr)
        XCTAssertTrue(auto.stdout.hasPrefix("keyring: file ("), auto.stdout)
        XCTAssertTrue(auto.stdout.contains("no D-Bus session bus"), auto.stdout)
    }

    func testBusWithoutSecretService() throws {
        let s = try SecretServiceSession.start(.noSecretService)
        defer { s.stop() }
        try writeConfig(s)
        let forced = try s.run([sgToken, "get"], extra: ["SG_KEYRING": "secret-service"])
        XCTAssertEqual(forced.status, 69, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("no Secret Service on the session bus"), forced.stderr)
        let auto = try s.run([sgToken, "status", "--json"])
        XCTAssertEqual(auto.status, 0, auto.stderr)
        XCTAssertTrue(auto.stdout.contains(#""backend":"file""#), auto.stdout)
        XCTAssertTrue(auto.stdout.contains("no Secret Service on the session bus"), auto.stdout)
    }

    func testGetWithoutTokenExits77WithLoginHint() throws {
        let s = try SecretServiceSession.start(.noSecretService)
        defer { s.stop() }
        try writeConfig(s)
        let r = try s.run([sgToken, "get", "-p", "ark"])
        XCTAssertEqual(r.status, 77, r.stderr)
        XCTAssertEqual(r.stderr, "sg-token: login required for profile 'ark': run: sg-token login -p ark\n")
        let login = try s.run([sgToken, "login", "-p", "ark"])
        XCTAssertEqual(login.status, 77, login.stderr)
        XCTAssertTrue(login.stderr.contains("no terminal to ask for the password"), login.stderr)
    }

    func testGetStatusListClearOnFileBackend() throws {
        let s = try SecretServiceSession.start(.noSecretService)
        defer { s.stop() }
        try writeConfig(s)
        let dir = FileKeyring.defaultDirectory(environment: s.environment)
        let token = ArkToken(token: SecretBytes(string: "file-token-value"), username: "alice@example.cyberark.cloud",
                             endpoint: "https://abc1234.id.cyberark.cloud", tokenType: .jwt, authMethod: .identity,
                             expiresIn: Instant.now.addingTimeInterval(3600))
        try TokenStore(backend: try FileKeyring(directory: dir, passphrase: nil))
            .save(token, for: TokenKey(serviceName: "isp", postfix: "alice@example.cyberark.cloud", account: "ark"))
        let get = try s.run([sgToken, "get"])
        XCTAssertEqual(get.status, 0, get.stderr)
        XCTAssertEqual(get.stdout, "file-token-value\n")
        // The forms sg-token reads without ArgumentParser (QuickArguments) answer alike; the
        // others still reach ArgumentParser, which owns the usage errors.
        for args in [["get", "-p", "ark"], ["get", "--profile", "ark"], ["get", "--profile=ark"]] {
            XCTAssertEqual(try s.run([sgToken] + args).stdout, "file-token-value\n", "\(args)")
        }
        XCTAssertEqual(try s.run([sgToken, "status", "-p", "ark", "--json"]).stdout,
                       try s.run([sgToken, "status", "--json", "--profile=ark"]).stdout)
        let missing = try s.run([sgToken, "get", "-p"])
        XCTAssertEqual(missing.status, 64, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("Missing value for '-p <profile>'"), missing.stderr)
        let unknown = try s.run([sgToken, "get", "--jsn"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(try s.run([sgToken, "get", "--help"]).stdout.contains("USAGE: sg-token get"))
        for args in [["status"], ["status", "--json"], ["list"], ["list", "--json"]] {
            let r = try s.run([sgToken] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stdout.contains("file-token-value"), "never a token value")
            XCTAssertTrue(r.stdout.contains("alice@example.cyberark.cloud"), r.stdout)
            XCTAssertTrue(r.stdout.contains("valid"), r.stdout)
        }
        let clear = try s.run([sgToken, "clear", "-p", "ark"])
        XCTAssertEqual(clear.status, 0, clear.stderr)
        XCTAssertEqual(try s.run([sgToken, "get"]).status, 77)
    }

    func testCorruptFileWarnsOnceAndCarriesOn() throws {
        let s = try SecretServiceSession.start(.noSecretService)
        defer { s.stop() }
        try writeConfig(s)
        let dir = FileKeyring.defaultDirectory(environment: s.environment)
        try PrivateFiles.ensurePrivateDirectory(dir)
        try "{not a keyring".write(toFile: dir + "/keyring", atomically: false, encoding: .utf8)
        let r = try s.run([sgToken, "list"], extra: ["SG_KEYRING": "file"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("sg-token: warning: ") ?? false, r.stderr)
        XCTAssertTrue(r.stderr.contains("keyring.corrupt-"), r.stderr)
    }

    func testFileBackendDoesNotLoadLibsecret() throws {
        let s = try SecretServiceSession.start(.noSecretService)
        defer { s.stop() }
        try writeConfig(s)
        let file = try s.run([sgToken, "status"], extra: ["SG_KEYRING": "file", "LD_DEBUG": "files"])
        XCTAssertEqual(file.status, 0)
        XCTAssertFalse(file.stderr.contains("libsecret"), "libsecret loaded on the file path")
        let ss = try s.run([sgToken, "status"], extra: ["SG_KEYRING": "secret-service", "LD_DEBUG": "files"])
        XCTAssertTrue(ss.stderr.contains("libsecret-1.so.0"), "libsecret is loaded when the Secret Service is used")
    }
}
