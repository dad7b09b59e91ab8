import Foundation
import XCTest
import SGCore
@testable import SGSSH
import SGTestSupport

/// Our agent client against a real ssh-agent (and a real sshd for the end-to-end login).
final class SSHAgentClientTests: XCTestCase {
    var dir: URL!
    var agent: SSHAgentFixture!

    override func setUpWithError() throws {
        dir = try TestPaths.makeTempDir("sshagent")
        agent = try SSHAgentFixture(folder: dir)
    }

    override func tearDownWithError() throws {
        agent?.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func sshAddList() throws -> String {
        try Command.run(["ssh-add", "-l"], environment: agent.environment).stdout
    }

    func testEveryKeyTypeIsAddedAndListedBySshAdd() throws {
        let client = try SSHAgentClient(socketPath: agent.socketPath)
        var keys = try KeyMaker.matrix(dir)
        keys.append(try KeyMaker.make(dir, type: "rsa", bits: 2048, format: "PEM", passphrase: "pem-pass"))
        keys.append(try KeyMaker.make(dir, type: "ecdsa", bits: 384, format: "PKCS8", passphrase: "p8-pass"))
        for key in keys {
            let k = try KeyMaker.read(key)
            try client.add(k, comment: "sg:\(key.label)")
            let listing = try sshAddList()
            XCTAssertTrue(listing.contains("\(k.publicKey.fingerprint) sg:\(key.label) (\(k.type.label))"), "\(key.label): \(listing)")
            XCTAssertTrue(try client.contains(k.publicKey), key.label)
        }
        let listed = try client.list()
        XCTAssertEqual(listed.count, keys.count)
        XCTAssertEqual(Set(listed.map(\.comment)), Set(keys.map { "sg:\($0.label)" }))
        try client.removeAll()
        XCTAssertEqual(try client.list().count, 0)
        XCTAssertTrue(try Command.run(["ssh-add", "-l"], environment: agent.environment).stdout.contains("no identities"))
    }

    func testLifetimeConstraintExpires() throws {
        let k = try KeyMaker.read(try KeyMaker.make(dir, type: "ed25519"))
        let client = try SSHAgentClient(socketPath: agent.socketPath)
        try client.add(k, comment: "short", lifetime: 2)
        XCTAssertTrue(try sshAddList().contains(k.publicKey.fingerprint))
        let start = Date()
        XCTAssertTrue(waitUntil(timeout: 8) { (try? client.list().isEmpty) ?? false }, "key still listed after 8 s")
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 1.0)
    }

    func testConfirmConstraintMakesTheAgentAsk() throws {
        agent.stop()
        // The agent asks through SSH_ASKPASS; this one records the question and refuses.
        let log = dir.appendingPathComponent("asked.log").path
        let script = dir.appendingPathComponent("refuse.sh").path
        try "#!/bin/sh\nprintf '%s|%s\\n' \"$SSH_ASKPASS_PROMPT\" \"$1\" >> \(log)\nexit 1\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        agent = try SSHAgentFixture(folder: dir, extraEnvironment: ["SSH_ASKPASS": script, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"])

        let key = try KeyMaker.make(dir, type: "ed25519")
        let k = try KeyMaker.read(key)
        let client = try SSHAgentClient(socketPath: agent.socketPath)
        try client.add(k, comment: "needs-ok", confirm: true)
        XCTAssertTrue(try sshAddList().contains(k.publicKey.fingerprint))

        // Using the key (ssh-add -T signs with it) must ask and, refused, fail.
        let t = try Command.run(["ssh-add", "-T", key.path + ".pub"], environment: agent.environment)
        XCTAssertNotEqual(t.status, 0, "signing succeeded without confirmation")
        let asked = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertTrue(asked.hasPrefix("confirm|Allow use of key needs-ok?"), asked)
        // Our classifier reads that exact question.
        let question = String(asked.dropFirst("confirm|".count)).components(separatedBy: "\n").prefix(2).joined(separator: "\n")
        XCTAssertEqual(AskpassPrompt.classify(question, hint: "confirm"),
                       .agentConfirm(comment: "needs-ok", fingerprint: k.publicKey.fingerprint))
    }

    func testRemoveOneKey() throws {
        let a = try KeyMaker.read(try KeyMaker.make(dir, type: "ed25519", comment: "a"))
        let b = try KeyMaker.read(try KeyMaker.make(dir, type: "ecdsa", bits: 256, comment: "b"))
        let client = try SSHAgentClient(socketPath: agent.socketPath)
        try client.add(a)
        try client.add(b)
        XCTAssertEqual(try client.list().map(\.comment).sorted(), ["a", "b"])
        try client.remove(a.publicKey)
        XCTAssertEqual(try client.list().map(\.fingerprint), [b.publicKey.fingerprint])
        XCTAssertFalse(try sshAddList().contains(a.publicKey.fingerprint))
        XCTAssertThrowsError(try client.remove(a.publicKey))
    }

    func testSshLoginWorksOnlyAfterAdd() throws {
        let sshd = try SSHDFixture(folder: dir)
        defer { sshd.stop() }
        for (type, bits, format) in [("ed25519", nil, nil), ("rsa", 2048, "PEM"), ("ecdsa", 521, "PKCS8")] as [(String, Int?, String?)] {
            let key = try KeyMaker.make(dir, type: type, bits: bits, format: format)
            let k = try KeyMaker.read(key)
            try sshd.authorize(k.publicKey(comment: "test").authorizedKeysLine)
            let client = try SSHAgentClient(socketPath: agent.socketPath)
            try client.removeAll()
            let before = try sshd.ssh("echo in", environment: agent.environment)
            XCTAssertNotEqual(before.status, 0, "\(type): login worked with an empty agent")
            try client.add(k, comment: "sg-test", lifetime: 60)
            let after = try sshd.ssh("echo in", environment: agent.environment)
            XCTAssertEqual(after.status, 0, "\(type): \(after.stderr)")
            XCTAssertEqual(after.stdout, "in\n")
        }
    }

    func testEncryptedOpenSSHKeyGoesThroughSshAddWithAskpass() throws {
        let key = try KeyMaker.make(dir, type: "ed25519", passphrase: "bcrypt-pass", comment: "enc-key")
        guard case .needsSSHAdd(let pub, _, _) = try PrivateKey.read(key.text) else { return XCTFail("expected needsSSHAdd") }
        // A stand-in for sg-askpass: answers only the (stdin) prompt for the named secret.
        let script = dir.appendingPathComponent("askpass.sh").path
        try """
        #!/bin/sh
        [ "$1" = "Enter passphrase for (stdin): " ] && [ "$SG_ASKPASS_KEY_SECRET" = "deploy-pass" ] && { echo bcrypt-pass; exit 0; }
        exit 1

        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        var env = agent.environment
        env["PATH"] = "/usr/bin:/bin"
        try SSHAddRunner.add(keyText: key.text, passphraseSecret: "deploy-pass", askpass: script, lifetime: 30, environment: env)
        XCTAssertTrue(try SSHAgentClient(socketPath: agent.socketPath).contains(pub))

        // The wrong secret name: the askpass refuses, ssh-add fails, and we report it.
        try SSHAgentClient(socketPath: agent.socketPath).removeAll()
        XCTAssertThrowsError(try SSHAddRunner.add(keyText: key.text, passphraseSecret: "other", askpass: script, environment: env, timeout: 20)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .noPermission, "\(e)")
        }
    }

    func testMissingAgentIsReportedClearly() {
        XCTAssertThrowsError(try SSHAgentClient(socketPath: dir.appendingPathComponent("nope.sock").path)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("is ssh-agent running? SSH_AUTH_SOCK="), m)
            XCTAssertEqual((e as? SGError)?.exitCode, .unavailable)
        }
        XCTAssertThrowsError(try SSHAgentClient.fromEnvironment([:])) { e in
            XCTAssertTrue("\(e)".contains("SSH_AUTH_SOCK is not set"), "\(e)")
        }
    }

    func testPeerCheckLogic() {
        XCTAssertNoThrow(try SSHAgentClient.checkPeer(uid: 1000, ourUID: 1000))
        XCTAssertNoThrow(try SSHAgentClient.checkPeer(uid: 0, ourUID: 1000))
        XCTAssertNoThrow(try SSHAgentClient.checkPeer(uid: 0, ourUID: 0))
        XCTAssertThrowsError(try SSHAgentClient.checkPeer(uid: 1001, ourUID: 1000))
        XCTAssertThrowsError(try SSHAgentClient.checkPeer(uid: 1000, ourUID: 0), "root must not feed a user's agent")
    }

    /// A real agent running as `nobody`: the client (root here) must refuse it before sending anything.
    func testAgentOwnedByAnotherUserIsRefused() throws {
        var template = Array("/tmp/sg-agent-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return XCTFail("mkdtemp") }
        let shared = URL(fileURLWithPath: String(cString: made))
        defer { try? FileManager.default.removeItem(at: shared) }
        chmod(shared.path, 0o777)
        let other = try SSHAgentFixture(folder: shared, runAsUID: 65534)
        defer { other.stop() }
        XCTAssertNotEqual(getuid(), 65534)
        XCTAssertThrowsError(try SSHAgentClient(socketPath: other.socketPath)) { e in
            XCTAssertTrue("\(e)".contains("runs as uid 65534"), "\(e)")
        }
    }
}
