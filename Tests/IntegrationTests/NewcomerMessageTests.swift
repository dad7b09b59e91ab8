import Foundation
import SGTestSupport
import XCTest

/// Issue 19: every place a newcomer got stuck on a silent or misleading answer, driven through
/// the real binaries against sg-sim and loopback servers; each message says what to change.
final class NewcomerMessageTests: XCTestCase {
    var sim: Simulator!
    var env: ToolEnvironment!

    override func setUpWithError() throws {
        sim = try Simulator()
        env = try ToolEnvironment(sim: sim, label: "newcomer")
    }

    override func tearDown() {
        sim?.stop()
        env = nil
    }

    let simGitRules = """
      rules:
        - url: https://git.sim.example/team
          secret: git-team
          username: svc-git
    """

    /// The sim's config with one profile line replaced (`    key: value` under `sim:`).
    func writeConfig(replacing prefix: String, with line: String, extraSecrets: String = "") throws {
        try env.writeConfig(git: simGitRules) { text in
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if let i = lines.firstIndex(where: { $0.hasPrefix(prefix) }) { lines[i] = line }
            if !extraSecrets.isEmpty, let s = lines.firstIndex(of: "secrets:") { lines.insert(extraSecrets, at: s + 1) }
            return lines.joined(separator: "\n")
        }
    }

    func lineNumber(of prefix: String, in path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return try XCTUnwrap(lines.firstIndex { $0.hasPrefix(prefix) }) + 1
    }

    // MARK: say what was read

    func testUnknownSecretSaysWhichConfigWasRead() throws {
        let r = try env.run(["sg-secret", "sg:no-such-secret"])
        XCTAssertEqual(r.status, 67, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("config read: \(sim.ready.config)"), r.stderrText)
        XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, r.stderrText)
    }

    func testDebugLogNamesTheConfigFilesLoaded() throws {
        env.extra["SG_LOG"] = "debug"
        let r = try env.run(["sg-secret", "-n", "demo-db"])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("config: reading \(sim.ready.config)"), r.stderrText)
        XCTAssertTrue(r.stderrText.contains("config: /etc/sg/config.yaml not found") || r.stderrText.contains("config: reading /etc/sg/config.yaml"), r.stderrText)
    }

    func testGitDebugLogSaysWhyNoRuleMatched() throws {
        env.extra["SG_LOG"] = "debug"
        let noPath = try env.run(["git-credential-sg", "get"], input: "protocol=https\nhost=git.sim.example\n\n")
        XCTAssertEqual(noPath.status, 0, noPath.stderrText)
        XCTAssertEqual(noPath.stdout.count, 0)
        XCTAssertTrue(noPath.stderrText.contains("rule https://git.sim.example/team (\(sim.ready.config):"), noPath.stderrText)
        XCTAssertTrue(noPath.stderrText.contains("git sent none; run: git config --global credential.useHttpPath true"), noPath.stderrText)

        let otherHost = try env.run(["git-credential-sg", "get"], input: "protocol=https\nhost=git.other.example\npath=team/r.git\n\n")
        XCTAssertEqual(otherHost.stdout.count, 0)
        XCTAssertTrue(otherHost.stderrText.contains("host is git.sim.example, git asked for git.other.example"), otherHost.stderrText)

        let otherPath = try env.run(["git-credential-sg", "get"], input: "protocol=https\nhost=git.sim.example\npath=ops/r.git\n\n")
        XCTAssertTrue(otherPath.stderrText.contains("path /team is not a prefix of /ops/r.git"), otherPath.stderrText)
        XCTAssertTrue(otherPath.stderrText.contains("config read: \(sim.ready.config)"), otherPath.stderrText)

        // Without SG_LOG a miss stays silent: git's next helper answers.
        env.extra["SG_LOG"] = nil
        let quiet = try env.run(["git-credential-sg", "get"], input: "protocol=https\nhost=git.sim.example\n\n")
        XCTAssertEqual(quiet.stderrText, "")
    }

    func testGitDebugLogSaysNoUsernameIsKnown() throws {
        try env.writeConfig(git: "  rules:\n    - {url: https://git.sim.example/nouser, secret: unicode-pw}\n")
        env.extra["SG_LOG"] = "debug"
        let r = try env.run(["git-credential-sg", "get"], input: "protocol=https\nhost=git.sim.example\npath=nouser/r.git\n\n")
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertTrue(r.stdoutText.contains("password="), "answered")
        XCTAssertFalse(r.stdoutText.contains("username="))
        XCTAssertTrue(r.stderrText.contains("no username is known for https://git.sim.example/nouser/r.git"), r.stderrText)
        XCTAssertFalse(r.stderrText.contains(try XCTUnwrap(sim.ready.passwords["unicode-pw"])))
    }

    func testAnUnmappedAskpassPromptSaysWhichConfigWasRead() throws {
        let r = try env.run(["sg-askpass", "nobody@nowhere.example's password: "])
        XCTAssertEqual(r.status, 1, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertTrue(r.stderrText.contains("no ssh.passwords rule matches nobody@nowhere.example; config read: \(sim.ready.config)"), r.stderrText)
        XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, r.stderrText)
    }

    // MARK: TLS and connections

    func testAHostNameNotInTheCertificateListsTheNamesItIsValidFor() throws {
        let dir = env.home.appendingPathComponent("other-name")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let key = dir.appendingPathComponent("server.key").path
        let csr = dir.appendingPathComponent("server.csr").path
        let cert = dir.appendingPathComponent("server.pem").path
        let ext = dir.appendingPathComponent("ext.cnf").path
        try "subjectAltName=DNS:spp.corp.example,DNS:spp\n".write(toFile: ext, atomically: true, encoding: .utf8)
        let caKey = try XCTUnwrap(sim.ready.caKey)
        for argv in [["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=spp.corp.example"],
                     ["x509", "-req", "-in", csr, "-CA", sim.ready.ca, "-CAkey", caKey, "-CAcreateserial", "-days", "2",
                      "-extfile", ext, "-out", cert]] {
            XCTAssertEqual(try env.run(["openssl"] + argv).status, 0, "openssl \(argv[0])")
        }
        let server = try OpenSSLServer(cert: cert, key: key, flags: [])
        defer { server.stop() }
        try writeConfig(replacing: "    appliances:", with: "    appliances: [\"127.0.0.1:\(server.port)\"]")
        let r = try env.run(["sg-secret", "demo-db"])
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("the certificate is valid for spp.corp.example, spp, not 127.0.0.1; use one of those names in 'appliances:'"), r.stderrText)
        XCTAssertFalse(r.stderrText.contains("set 'ca:'"), r.stderrText)
    }

    func testThePlainHTTPPortSaysItDoesNotSpeakTLS() throws {
        try writeConfig(replacing: "    appliances:", with: "    appliances: [\"127.0.0.1:\(sim.ready.adminPort)\"]")
        let r = try env.run(["sg-secret", "demo-db"])
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("127.0.0.1:\(sim.ready.adminPort) does not speak TLS"), r.stderrText)
        XCTAssertTrue(r.stderrText.contains("use the appliance's HTTPS port (443)"), r.stderrText)
    }

    func testAPortNobodyListensOnSaysSo() throws {
        let port = LoopbackPort.unused()
        try writeConfig(replacing: "    appliances:", with: "    appliances: [\"127.0.0.1:\(port)\"]")
        let r = try env.run(["sg-secret", "demo-db"])
        XCTAssertEqual(r.status, 69, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("nothing listens on 127.0.0.1:\(port) (connection refused)"), r.stderrText)
    }

    func testACAFileWithoutPEMNamesTheProfileAndLine() throws {
        let ca = env.home.appendingPathComponent("ca.der").path
        _ = FileManager.default.createFile(atPath: ca, contents: Data([0x30, 0x82, 0x01, 0x0A, 0x02, 0x82]), attributes: [.posixPermissions: 0o644])
        try writeConfig(replacing: "    ca:", with: "    ca: \"\(ca)\"")
        let line = try lineNumber(of: "    ca: \"\(ca)\"", in: env.configPath)
        let r = try env.run(["sg-secret", "demo-db"])
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("ca \(ca) (profile sim, \(env.configPath):\(line)) holds no PEM certificate"), r.stderrText)
    }

    // MARK: config mistakes

    func testAnEmptyAPIKeyFileIsRefusedBeforeAnyRequest() throws {
        let empty = env.home.appendingPathComponent("empty.key").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data(), attributes: [.posixPermissions: 0o600])
        try writeConfig(replacing: "@@none@@", with: "", extraSecrets: "  empty-key:\n    profile: sim\n    api-key: {file: \"\(empty)\"}")
        try sim.post("/admin/reset-log")
        let r = try env.run(["sg-secret", "empty-key"])
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertEqual(r.stderrText, "sg-secret: config: API key of secret 'empty-key': file \(empty) is empty\n")
        XCTAssertEqual(try env.a2aFetches(), 0, "nothing was sent to the appliance")
    }

    func testAPasswordUsedAsAKeySaysWhichLineToAdd() throws {
        // The secret's first entry: where a `kind:` line goes.
        let line = try lineNumber(of: "  demo-db:", in: sim.ready.config) + 1
        let r = try env.run(["sg-ssh-key", "public", "demo-db"])
        XCTAssertEqual(r.status, 67, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("secret demo-db is a password, not a private-key: if it holds an SSH key, add 'kind: private-key' to it at \(sim.ready.config):\(line)"), r.stderrText)
    }

    func testATabInTheConfigSaysTabAndTheLine() throws {
        try writeConfig(replacing: "    api-version:", with: "\tapi-version: 4")
        let line = try lineNumber(of: "\tapi-version", in: env.configPath)
        let r = try env.run(["sg-secret", "demo-db"])
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("\(env.configPath):\(line): a tab in the indentation; YAML indents with spaces only"), r.stderrText)
    }

    // MARK: arguments

    func testSGExecNamesAnUnknownOption() throws {
        for argv in [["sg-exec", "--bogus"], ["sg-exec", "--bogus", "--", "true"]] {
            let r = try env.run(argv)
            XCTAssertEqual(r.status, 64, "\(argv): \(r.stderrText)")
            XCTAssertTrue(r.stderrText.contains("nknown option '--bogus'"), "\(argv): \(r.stderrText)")
            XCTAssertFalse(r.stderrText.contains("missing command"), "\(argv): \(r.stderrText)")
        }
    }

    func testSGSecretHelpAndVersionAreWordsNotSecrets() throws {
        let help = try env.run(["sg-secret", "help"])
        XCTAssertEqual(help.status, 0, help.stderrText)
        XCTAssertTrue(help.stdoutText.contains("USAGE: sg-secret"), help.stdoutText)
        let version = try env.run(["sg-secret", "version"])
        XCTAssertNotEqual(version.status, 67, version.stderrText)
        XCTAssertFalse(version.stderrText.contains("unknown secret"), version.stderrText)
        // A secret of that name is still reachable as a reference.
        let named = try env.run(["sg-secret", "sg:help"])
        XCTAssertEqual(named.status, 67, named.stderrText)
        XCTAssertTrue(named.stderrText.contains("unknown secret 'help'"), named.stderrText)
    }
}
