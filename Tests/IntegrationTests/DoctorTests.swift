import Foundation
import SGTestSupport
import XCTest

/// sg-doctor against sg-sim: a healthy setup passes every check and exits 0; each fault a
/// newcomer meets is injected on its own and must give one PROBLEM line with its fix.
final class DoctorTests: XCTestCase {
    var sim: Simulator!
    var env: ToolEnvironment!
    var agent: SSHAgentFixture!

    override func setUpWithError() throws {
        sim = try Simulator()
        env = try ToolEnvironment(sim: sim, label: "doctor")
        agent = try SSHAgentFixture(folder: env.home)
        env.extra["SSH_AUTH_SOCK"] = agent.socketPath
        XCTAssertEqual(try env.run(["git", "config", "--global", "credential.helper", "sg"]).status, 0)
        XCTAssertEqual(try env.run(["git", "config", "--global", "credential.useHttpPath", "true"]).status, 0)
    }

    override func tearDown() {
        agent?.stop()
        sim?.stop()
        env = nil
    }

    func doctor() throws -> (status: Int32, lines: [String], result: ToolRun) {
        let r = try env.run(["sg-doctor", "--timeout", "5"], timeout: 120)
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        // No value of any secret appears, whatever the outcome.
        for value in sim.ready.passwords.values where value.count >= 6 {
            XCTAssertFalse(r.stdoutText.contains(value) || r.stderrText.contains(value), "a secret value was printed")
        }
        for key in sim.ready.apiKeys.values { XCTAssertFalse(r.stdoutText.contains(key) || r.stderrText.contains(key), "an API key was printed") }
        return (r.status, lines, r)
    }

    func problems(_ lines: [String]) -> [String] { lines.filter { $0.hasPrefix("PROBLEM") } }

    /// The sim's config with `transform` applied to its text (git rules kept).
    func writeConfig(_ transform: @escaping (String) -> String) throws {
        try env.writeConfig(git: "  rules:\n    - {url: https://git.sim.example/team, secret: git-team, username: svc-git}\n", transform: transform)
    }

    func testAHealthySetupPassesEveryCheck() throws {
        let d = try doctor()
        XCTAssertEqual(d.status, 0, d.result.stdoutText + d.result.stderrText)
        XCTAssertEqual(problems(d.lines), [])
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("ok       config: config read: \(sim.ready.config)") }, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("ok       appliance 127.0.0.1:\(sim.ready.port) (profile sim): DNS, TCP and TLS") && $0.contains("client certificate accepted") }, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains("ok       secret demo-db: the API key is accepted"), d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("ok       keyring: file") }, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("ok       ssh-agent: \(agent.socketPath) answers") }, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains("ok       git credential.helper: sg"), d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("ok       git credential.useHttpPath: true") }, d.result.stdoutText)
    }

    func testAMissingConfigIsTheOnlyProblemAndExits78() throws {
        env.extra["SG_CONFIG"] = env.home.path + "/nowhere.yaml"
        let d = try doctor()
        XCTAssertEqual(d.status, 78)
        XCTAssertEqual(problems(d.lines).count, 1, d.result.stdoutText)
        XCTAssertTrue(d.lines[0].contains("SG_CONFIG names \(env.home.path)/nowhere.yaml, which does not exist"), d.result.stdoutText)
    }

    func testAWrongPortIsNamed() throws {
        let port = LoopbackPort.unused()
        try writeConfig { $0.replacingOccurrences(of: "127.0.0.1:\(self.sim.ready.port)\"]", with: "127.0.0.1:\(port)\"]") }
        let d = try doctor()
        XCTAssertEqual(d.status, 69, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  appliance 127.0.0.1:\(port) (profile sim): nothing listens on 127.0.0.1:\(port)") }, d.result.stdoutText)
        XCTAssertEqual(d.lines.filter { $0.hasPrefix("PROBLEM  secret ") }.count, 1, d.result.stdoutText)
    }

    func testAnUntrustedServerCertificateIsNamed() throws {
        try writeConfig { text in
            var lines = text.components(separatedBy: "\n")
            if let i = lines.firstIndex(where: { $0.hasPrefix("    ca:") }) { lines[i] = "    ca: \"\(self.sim.ready.otherCA)\"" }
            return lines.joined(separator: "\n")
        }
        let d = try doctor()
        XCTAssertEqual(d.status, 78, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  appliance 127.0.0.1:\(sim.ready.port) (profile sim): server certificate not trusted") }, d.result.stdoutText)
    }

    func testARejectedClientCertificateIsNamed() throws {
        try writeConfig { text in
            text.replacingOccurrences(of: "cert: \"\(self.sim.ready.clientCert)\"", with: "cert: \"\(self.sim.ready.rogueCert)\"")
                .replacingOccurrences(of: "key: \"\(self.sim.ready.clientKey)\"", with: "key: \"\(self.sim.ready.rogueKey)\"")
        }
        XCTAssertTrue(try String(contentsOfFile: env.configPath, encoding: .utf8).contains(sim.ready.rogueCert))
        let d = try doctor()
        XCTAssertEqual(d.status, 77, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  appliance 127.0.0.1:\(sim.ready.port) (profile sim): access denied") }, d.result.stdoutText)
    }

    func testARefusedAPIKeyAndAnEmptyOneAreNamedPerSecret() throws {
        let wrong = env.home.appendingPathComponent("wrong.key").path
        let empty = env.home.appendingPathComponent("empty.key").path
        _ = FileManager.default.createFile(atPath: wrong, contents: Data("not-a-registered-key\n".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: empty, contents: Data(), attributes: [.posixPermissions: 0o600])
        try writeConfig {
            $0.replacingOccurrences(of: "api-key: {file: apikeys/demo-db}", with: "api-key: {file: \"\(wrong)\"}")
              .replacingOccurrences(of: "api-key: {file: apikeys/quote-pw}", with: "api-key: {file: \"\(empty)\"}")
        }
        let d = try doctor()
        XCTAssertNotEqual(d.status, 0)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  secret demo-db: access denied") }, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  API key of secret quote-pw: \(empty) is empty") }, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains("ok       secret unicode-pw: the API key is accepted"), d.result.stdoutText)
    }

    func testAnAPIKeyFileOthersCanReadIsRefusedWithTheChmod() throws {
        let open = env.home.appendingPathComponent("open.key").path
        try FileManager.default.copyItem(atPath: (sim.ready.config as NSString).deletingLastPathComponent + "/apikeys/demo-db", toPath: open)
        chmod(open, 0o644)
        try writeConfig { $0.replacingOccurrences(of: "api-key: {file: apikeys/demo-db}", with: "api-key: {file: \"\(open)\"}") }
        let d = try doctor()
        XCTAssertEqual(d.status, 78, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  API key of secret demo-db: refusing \(open)") && $0.contains("chmod") }, d.result.stdoutText)
    }

    func testTheA2AServiceOffIsReportedPerSecret() throws {
        try sim.admin("/admin/a2a", json: ["enabled": false])
        let d = try doctor()
        XCTAssertEqual(d.status, 69, d.result.stdoutText)
        // Said once for the profile (its first secret), not after every secret's retries.
        XCTAssertEqual(d.lines.filter { $0.hasPrefix("PROBLEM  secret ") && $0.contains(": service unavailable") }.count, 1, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains("skipped  secret demo-db: not checked: profile sim failed above"), d.result.stdoutText)
    }

    func testGitSettingsThatDoNotMatchTheRulesAreNamed() throws {
        XCTAssertEqual(try env.run(["git", "config", "--global", "--unset", "credential.helper"]).status, 0)
        XCTAssertEqual(try env.run(["git", "config", "--global", "--unset", "credential.useHttpPath"]).status, 0)
        let d = try doctor()
        XCTAssertEqual(d.status, 78, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains("PROBLEM  git credential.helper: git does not call sg: run: git config --global credential.helper sg"), d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  git credential.useHttpPath: rule https://git.sim.example/team") && $0.hasSuffix("run: git config --global credential.useHttpPath true") }, d.result.stdoutText)
    }

    func testNoSSHAgentIsNamedWhenKeysAreConfigured() throws {
        env.extra["SSH_AUTH_SOCK"] = nil
        let d = try doctor()
        XCTAssertEqual(d.status, 69, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains("PROBLEM  ssh-agent: SSH_AUTH_SOCK is not set: start one with: eval \"$(ssh-agent)\""), d.result.stdoutText)
    }

    func testALockedKeyringIsNamed() throws {
        let session = try SecretServiceSession.start(.locked)
        defer { session.stop() }
        env.extra["DBUS_SESSION_BUS_ADDRESS"] = session.address
        env.extra["SG_KEYRING"] = "secret-service"
        let d = try doctor()
        XCTAssertEqual(d.status, 69, d.result.stdoutText)
        XCTAssertTrue(d.lines.contains { $0.hasPrefix("PROBLEM  keyring: Secret Service") && $0.contains("is LOCKED") }, d.result.stdoutText)
    }
}
