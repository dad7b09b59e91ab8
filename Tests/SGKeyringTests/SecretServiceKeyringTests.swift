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

    /// Lookups go through libsecret's encrypted session: a secret read or written never crosses
    /// the bus in clear (the old libdbus reader used the "plain" session, and `dbus-monitor` saw it).
    func testSecretsNeverCrossTheBusInClear() throws {
        let canary = "sg-bus-canary-\(getpid())-7f3a"
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("sg-bus-\(getpid()).pcap")
        defer { try? FileManager.default.removeItem(at: capture) }
        FileManager.default.createFile(atPath: capture.path, contents: nil)
        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-monitor")
        monitor.arguments = ["--address", session.address, "--pcap"]
        monitor.standardOutput = try FileHandle(forWritingTo: capture)
        try monitor.run()
        defer { if monitor.isRunning { monitor.terminate(); monitor.waitUntilExit() } }
        // The monitor is live once it has captured a marker call of our own.
        let marker = "sg-monitor-ready-\(getpid())"
        for _ in 0..<200 {
            _ = try session.run(["dbus-send", "--session", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus.NameHasOwner", "string:\(marker)"])
            if let d = FileManager.default.contents(atPath: capture.path), d.range(of: Data(marker.utf8)) != nil { break }
            usleep(50_000)
        }
        XCTAssertNotNil(FileManager.default.contents(atPath: capture.path)?.range(of: Data(marker.utf8)), "dbus-monitor is capturing")

        try kr.store(service: "sg-bus-ss", account: "monitored", secret: SecretBytes(string: canary))
        defer { _ = try? kr.delete(service: "sg-bus-ss", account: "monitored") }
        XCTAssertEqual(try kr.lookup(service: "sg-bus-ss", account: "monitored")?.unsafeString(), canary)
        XCTAssertEqual(try kr.lookup(services: ["sg-bus-ss", "sg-bus-other"], account: "monitored")["sg-bus-ss"]?.unsafeString(), canary)
        XCTAssertEqual(try kr.search(attributes: ["service": "sg-bus-ss"], loadSecrets: true).first?.secret?.unsafeString(), canary)
        // The lookups' own traffic has reached the monitor once a later marker has.
        let after = marker + "-after"
        for _ in 0..<200 {
            _ = try session.run(["dbus-send", "--session", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus.NameHasOwner", "string:\(after)"])
            if let d = FileManager.default.contents(atPath: capture.path), d.range(of: Data(after.utf8)) != nil { break }
            usleep(50_000)
        }
        let captured = try XCTUnwrap(FileManager.default.contents(atPath: capture.path))
        XCTAssertNotNil(captured.range(of: Data(after.utf8)), "the capture covers the lookups")
        XCTAssertNotNil(captured.range(of: Data("sg-bus-ss".utf8)), "the capture holds the lookups' attributes")
        XCTAssertNil(captured.range(of: Data(canary.utf8)), "the secret crossed the bus in clear")
    }

    /// Every matching item is seen, however many there are (the libdbus reader stopped at 64).
    func testLookupSeesEveryMatchingItem() throws {
        let services = (0..<70).map { "sg-many-ss-\($0)" }
        for (i, service) in services.enumerated() {
            try kr.store(service: service, account: "ss-many", secret: SecretBytes(string: "v\(i)"))
        }
        defer { for service in services { _ = try? kr.delete(service: service, account: "ss-many") } }
        let found = try kr.lookup(services: services, account: "ss-many")
        XCTAssertEqual(found.count, 70)
        XCTAssertEqual(found["sg-many-ss-69"]?.unsafeString(), "v69")
        XCTAssertEqual(try LibSecret.lockState(alias: "default", timeoutMs: 1500), .unlocked)
        XCTAssertEqual(try LibSecret.lockState(alias: "no-such-alias", timeoutMs: 1500), .missing)
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
        let start = Monotonic.now
        for _ in 0..<200 { _ = try kr.lookup(service: "isp-lat@example.com", account: "ss-test") }
        let perLookup = (Monotonic.now - start) / 200 * 1000
        print("Secret Service lookup: \(String(format: "%.2f", perLookup)) ms")
        XCTAssertLessThan(perLookup, 50)
    }
}
