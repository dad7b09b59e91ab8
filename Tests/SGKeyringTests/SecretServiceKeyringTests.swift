import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring

/// The Secret Service backend against a real gnome-keyring on a private bus
/// (SecretServiceSession.shared; this process's libsecret connects to it).
final class SecretServiceKeyringTests: XCTestCase {
    var session: SecretServiceSession { SecretServiceSession.shared }
    let kr = SecretServiceKeyring()

    override func setUp() { _ = SecretServiceSession.shared }

    func testStoreLookupDelete() throws {
        _ = session
        try kr.store(service: "isp-ss1@example.com", account: "ss-test", secret: SecretBytes(string: "v1"))
        try kr.store(service: "isp-ss1@example.com", account: "ss-test", secret: SecretBytes(string: "v2"))
        XCTAssertEqual(try kr.lookup(service: "isp-ss1@example.com", account: "ss-test")?.unsafeString(), "v2")
        XCTAssertEqual(try kr.search(attributes: ["service": "isp-ss1@example.com"], loadSecrets: false).count, 1)
        XCTAssertTrue(try kr.delete(service: "isp-ss1@example.com", account: "ss-test"))
        XCTAssertFalse(try kr.delete(service: "isp-ss1@example.com", account: "ss-test"))
        XCTAssertNil(try kr.lookup(service: "isp-ss1@example.com", account: "ss-test"))
        XCTAssertFalse(try kr.isLocked())
    }

    func testLookupOfSeveralServicesIsOneSearchWithLookupsAnswers() throws {
        try kr.store(service: "sg-safeguard-cert-ss", account: "ss-multi", secret: SecretBytes(string: "by-cert"))
        try kr.store(service: "sg-safeguard-other-ss", account: "ss-other", secret: SecretBytes(string: "other account"))
        let services = ["sg-safeguard-alice-ss", "sg-safeguard-cert-ss", "sg-safeguard-other-ss"]
        let found = try kr.lookup(services: services, account: "ss-multi")
        XCTAssertEqual(found.mapValues { $0.unsafeString() }, ["sg-safeguard-cert-ss": "by-cert"])
        for service in services {
            XCTAssertEqual(found[service]?.unsafeString(), try kr.lookup(service: service, account: "ss-multi")?.unsafeString(), service)
        }
        XCTAssertTrue(try kr.lookup(services: ["sg-safeguard-none-ss"], account: "ss-multi").isEmpty)
        try kr.delete(service: "sg-safeguard-cert-ss", account: "ss-multi")
        try kr.delete(service: "sg-safeguard-other-ss", account: "ss-other")
    }

    /// Lookups read over libdbus ("plain" session) and never load libsecret; what they see is
    /// what libsecret sees.
    func testFastPathAnswersAsLibsecretDoes() throws {
        let values = ["plain": "v-1", "unicode": "pässwörd-秘密-🔑", "quote": #"q"u'o\te $(id)"#]
        for (account, value) in values {
            try kr.store(service: "sg-fast-ss", account: account, secret: SecretBytes(string: value))
        }
        defer { for account in values.keys { _ = try? kr.delete(service: "sg-fast-ss", account: account) } }
        func summary(_ items: [KeyringItem]) -> [String] {
            items.map { "\($0.service)|\($0.account)|\($0.attributes.sorted { $0.key < $1.key })|\($0.locked)|\($0.secret?.unsafeString() ?? "-")" }.sorted()
        }
        let fast = try XCTUnwrap(LibSecret.fastSearch(["service": "sg-fast-ss"], timeoutMs: 1500))
        XCTAssertEqual(fast.count, 3)
        XCTAssertEqual(summary(fast), summary(try LibSecret.search(["service": "sg-fast-ss"], loadSecrets: true, timeoutMs: 1500)))
        XCTAssertTrue(LibSecret.fastPathLoaded)
        XCTAssertEqual(try LibSecret.fastSearch(["service": "sg-fast-none"], timeoutMs: 1500)?.count, 0)
        XCTAssertEqual(try LibSecret.fastLockState(alias: "default", timeoutMs: 1500), .unlocked)
        XCTAssertEqual(try LibSecret.fastLockState(alias: "no-such-alias", timeoutMs: 1500), .missing)
        XCTAssertEqual(try LibSecret.lockState(alias: "no-such-alias", timeoutMs: 1500), .missing)
    }

    func testFastPathHonoursTheTimeoutWhenTheDaemonHangs() throws {
        let s = try SecretServiceSession.start(.unlocked)
        defer { s.stop() }
        let pid = try XCTUnwrap(s.keyringProcessIdentifier)
        let saved = getenv("DBUS_SESSION_BUS_ADDRESS").map { String(cString: $0) }
        setenv("DBUS_SESSION_BUS_ADDRESS", s.address, 1)
        defer { if let saved { setenv("DBUS_SESSION_BUS_ADDRESS", saved, 1) } }
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let started = Instant.now
        XCTAssertThrowsError(try SecretServiceKeyring(timeoutMs: 300).lookup(service: "sg-hang", account: "x")) { e in
            XCTAssertTrue("\(e)".contains("did not answer in time (keyring.dbus-timeout-ms is 300)"), "\(e)")
        }
        XCTAssertLessThan(Instant.now.timeIntervalSince(started), 10, "bounded by the timeout, not libdbus's 25 s default")
    }

    func testSecretToolSeesItemsAsPythonKeyringWritesThem() throws {
        try kr.store(service: "isp-ss2@example.com", account: "ss-test", secret: SecretBytes(string: "visible"))
        let r = try session.run(["secret-tool", "search", "--all", "service", "isp-ss2@example.com"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.stdout + r.stderr
        XCTAssertTrue(out.contains("label = Password for 'ss-test' on 'isp-ss2@example.com'"), out)
        XCTAssertTrue(out.contains("secret = visible"), out)
        XCTAssertTrue(out.contains("schema = org.freedesktop.Secret.Generic"), out)
        XCTAssertTrue(out.contains("attribute.application = Python keyring library"), out)
        XCTAssertTrue(out.contains("attribute.username = ss-test"), out)
        let lookup = try session.run(["secret-tool", "lookup", "service", "isp-ss2@example.com", "username", "ss-test"])
        XCTAssertEqual(lookup.stdout, "visible")
    }

    func testItemsWithoutSchemaOrApplicationAreFoundAndReplaced() throws {
        // secret-tool writes no `application`; a python-keyring item may lack xdg:schema.
        let r = try session.run(["secret-tool", "store", "--label=foreign", "service", "isp-ss3@example.com", "username", "ss-test"], stdin: "foreign")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try kr.lookup(service: "isp-ss3@example.com", account: "ss-test")?.unsafeString(), "foreign")
        try kr.store(service: "isp-ss3@example.com", account: "ss-test", secret: SecretBytes(string: "ours"))
        let items = try kr.search(attributes: ["service": "isp-ss3@example.com"], loadSecrets: true)
        XCTAssertEqual(items.count, 1, "no duplicate is left behind")
        XCTAssertEqual(items.first?.secret?.unsafeString(), "ours")
        XCTAssertEqual(items.first?.attributes["application"], KeyringItem.application)
    }

    func testSessionCollectionWorks() throws {
        let mem = SecretServiceKeyring(collection: "session")
        try mem.store(service: "isp-ss4@example.com", account: "ss-test", secret: SecretBytes(string: "mem"))
        XCTAssertEqual(try mem.lookup(service: "isp-ss4@example.com", account: "ss-test")?.unsafeString(), "mem")
        XCTAssertTrue(try mem.delete(service: "isp-ss4@example.com", account: "ss-test"))
    }

    func testAutoSelectionPicksSecretServiceWhenItAnswers() throws {
        let choice = try KeyringSelection.choose(environment: ["DBUS_SESSION_BUS_ADDRESS": session.address, "HOME": session.home])
        XCTAssertEqual(choice.kind, .secretService)
        let forced = try KeyringSelection.choose(environment: ["DBUS_SESSION_BUS_ADDRESS": session.address, "SG_KEYRING": "file"])
        XCTAssertEqual(forced.kind, .file)
        XCTAssertEqual(try KeyringSelection.choose(environment: ["HOME": "/nonexistent"]).kind, .file)
        XCTAssertThrowsError(try KeyringSelection.choose(environment: ["SG_KEYRING": "kwallet"]))
    }

    func testLookupLatency() throws {
        try kr.store(service: "isp-lat@example.com", account: "ss-test", secret: SecretBytes(string: "x"))
        let start = Clock.now
        for _ in 0..<200 { _ = try kr.lookup(service: "isp-lat@example.com", account: "ss-test") }
        let perLookup = (Clock.now - start) / 200 * 1000
        print("Secret Service lookup: \(String(format: "%.2f", perLookup)) ms")
        XCTAssertLessThan(perLookup, 50)
    }
}
