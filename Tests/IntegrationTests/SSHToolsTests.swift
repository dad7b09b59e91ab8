import Foundation
import SGTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// What the sg-ssh-key and sg-askpass tests share: one sg-sim, a private temp folder, configs
/// derived from the sim's with an `ssh:` section, and tool runs that always pass the leak check.
class SSHToolTestCase: XCTestCase {
    nonisolated(unsafe) static var sims: [String: Simulator] = [:]
    var sim: Simulator { Self.sims[String(describing: type(of: self))]! }
    var leak: LeakCheck { LeakCheck(simulator: sim.ready) }
    var tmp: URL!
    var started = Date()

    /// `ssh-ed25519-pass` is an encrypted openssh-key-v1 key (bcrypt KDF): `add` hands it to
    /// `ssh-add -` with sg-askpass answering the passphrase from its secret.
    static let keyNames = ["ssh-ed25519", "ssh-rsa", "ssh-ecdsa", "ssh-rsa-pass", "ssh-ed25519-pass"]

    override class func setUp() {
        super.setUp()
        sims[String(describing: self)] = try? Simulator()
    }

    override class func tearDown() {
        sims[String(describing: self)]?.stop()
        sims[String(describing: self)] = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        setenv("SWIFT_BACKTRACE", "enable=no", 1)
        guard Self.sims[String(describing: type(of: self))] != nil else {
            throw FixtureError.didNotStart("sg-sim")
        }
        tmp = try TestPaths.makeTempDir("sshtools")
        chmod(tmp.path, 0o755)  // sshd runs a test user's session in here
        started = Date()
    }

    override func tearDownWithError() throws {
        if let tmp {
            let problems = leak.checkFiles(under: tmp, since: started)
            XCTAssertEqual(problems, [], "secrets in files written during the test")
            try? FileManager.default.removeItem(at: tmp)
        }
    }

    // MARK: config

    /// The sim's config with `ssh:` replaced by `sshSection` (YAML lines indented under `ssh:`),
    /// written beside it (its API-key paths are relative to that folder), mode 0600.
    func config(ssh sshSection: String = "", edit: (String) -> String = { $0 }) throws -> String {
        var text = try String(contentsOfFile: sim.ready.config, encoding: .utf8)
        XCTAssertTrue(text.contains("ssh: {}\n"))
        text = text.replacingOccurrences(of: "ssh: {}\n", with: sshSection.isEmpty ? "ssh: {}\n" : "ssh:\n" + sshSection)
        text = edit(text)
        let path = URL(fileURLWithPath: sim.ready.stateDir).appendingPathComponent("config-\(UUID().uuidString).yaml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        return path
    }

    func toolEnvironment(config: String? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ToolRunner.environment(home: tmp, ["SG_CONFIG": config ?? sim.ready.config])
        for (k, v) in extra { env[k] = v }
        return env
    }

    // MARK: running

    /// Runs an sg binary, failing the test on any leak (stdout may hold only `answers`).
    @discardableResult
    func tool(_ name: String, _ args: [String], config: String? = nil, env: [String: String] = [:],
              answers: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> ToolRun {
        let run = try ToolRunner.run(TestPaths.binary(name), args, environment: toolEnvironment(config: config, env))
        XCTAssertEqual(leak.check(run, answers: answers.map { Data($0.utf8) }), [], "\(name) \(args) leaked", file: file, line: line)
        return run
    }

    func sgSSHKey(_ args: [String], config: String? = nil, env: [String: String] = [:],
                  file: StaticString = #filePath, line: UInt = #line) throws -> ToolRun {
        try tool("sg-ssh-key", args, config: config, env: env, file: file, line: line)
    }

    /// A shell wrapper around sg-askpass that counts its runs, records each prompt (NUL-separated),
    /// its exit status, and sg-askpass's stderr, so tests see exactly what ssh asked and got.
    struct AskpassWrapper {
        let path: String
        let folder: URL
        var prompts: [String] {
            let data = (try? Data(contentsOf: folder.appendingPathComponent("prompts"))) ?? Data()
            return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        }
        var statuses: [String] {
            ((try? String(contentsOf: folder.appendingPathComponent("status"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        var stderr: Data { (try? Data(contentsOf: folder.appendingPathComponent("stderr"))) ?? Data() }
        var count: Int { prompts.count }
    }

    func askpassWrapper(_ label: String = "askpass") throws -> AskpassWrapper {
        let folder = tmp.appendingPathComponent(label)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        chmod(folder.path, 0o777)
        for f in ["prompts", "status", "stderr"] {
            _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(f).path, contents: Data(), attributes: [.posixPermissions: 0o666])
        }
        let script = """
        #!/bin/sh
        printf '%s\\0' "$*" >> '\(folder.path)/prompts'
        '\(TestPaths.binary("sg-askpass"))' "$@" 2>> '\(folder.path)/stderr'
        rc=$?
        echo "$rc" >> '\(folder.path)/status'
        exit $rc

        """
        let path = folder.appendingPathComponent("sg-askpass-wrapper").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        return AskpassWrapper(path: path, folder: folder)
    }

    func assertNoLeaks(_ wrapper: AskpassWrapper, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(leak.leaks(in: wrapper.stderr), [], "sg-askpass stderr leaked", file: file, line: line)
        XCTAssertEqual(leak.leaks(in: Data(wrapper.prompts.joined(separator: "\n").utf8)), [], "sg-askpass argv leaked", file: file, line: line)
    }

    /// `ssh-keygen ARGS` (or another OpenSSH tool), asserting success.
    func run(_ argv: [String], env: [String: String] = [:], input: Data? = nil,
             file: StaticString = #filePath, line: UInt = #line) throws -> Command.Result {
        let r = try Command.run(argv, environment: env, input: input)
        XCTAssertEqual(r.status, 0, "\(argv.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    func agentList(_ agent: SSHAgentFixture) throws -> Command.Result {
        try Command.run(["ssh-add", "-l"], environment: agent.environment)
    }

    func publicLines(_ name: String, config: String? = nil) throws -> [String] {
        let r = try sgSSHKey(["public", name], config: config)
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stderr, Data())
        return r.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// sg-ssh-key against sg-sim, a real ssh-agent and a real sshd.
final class SSHToolsTests: SSHToolTestCase {

    func testAddEd25519ThenSSHLogsInWithTheAgent() throws {
        let sshd = try SSHDFixture(folder: tmp.appendingPathComponent("sshd", isDirectory: true).creatingFolder())
        defer { sshd.stop() }
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }

        // The public key sg derives equals what ssh-keygen derives from the fetched private key.
        let lines = try publicLines("ssh-ed25519")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.last, "")
        let keyFile = tmp.appendingPathComponent("ed").path
        XCTAssertEqual(try sgSSHKey(["fetch", "ssh-ed25519", "-o", keyFile]).status, 0)
        let derived = try run(["ssh-keygen", "-y", "-f", keyFile]).stdout
        XCTAssertEqual(blobPart(derived), blobPart(lines[0]))
        XCTAssertTrue(lines[0].hasPrefix("ssh-ed25519 ") && lines[0].hasSuffix(" sg:ssh-ed25519"), lines[0])
        try sshd.authorize(lines[0])

        XCTAssertNotEqual(try sshd.ssh(environment: agent.environment).status, 0, "logged in without the key")
        let add = try sgSSHKey(["add", "ssh-ed25519"], env: agent.environment)
        XCTAssertEqual(add.status, 0, add.stderrText)
        XCTAssertEqual(add.stdout, Data())
        XCTAssertEqual(add.stderr, Data())
        let login = try sshd.ssh("echo logged-in", environment: agent.environment)
        XCTAssertEqual(login.status, 0, login.stderr)
        XCTAssertEqual(login.stdout, "logged-in\n")
        let list = try agentList(agent)
        XCTAssertEqual(list.stdout, lines[1] + "\n", "ssh-add -l lists the key with comment sg:NAME")
    }

    func testEveryKeyTypeInTheCatalogueAddsAndLogsIn() throws {
        let sshd = try SSHDFixture(folder: tmp.appendingPathComponent("sshd", isDirectory: true).creatingFolder())
        defer { sshd.stop() }
        for name in Self.keyNames {
            let lines = try publicLines(name)
            try sshd.authorize(lines[0])
        }
        for (i, name) in Self.keyNames.enumerated() {
            let folder = try tmp.appendingPathComponent("agent\(i)", isDirectory: true).creatingFolder()
            let agent = try SSHAgentFixture(folder: folder)
            defer { agent.stop() }
            let add = try sgSSHKey(["add", name], env: agent.environment)
            XCTAssertEqual(add.status, 0, "\(name): \(add.stderrText)")
            XCTAssertEqual(add.stdout, Data())
            let fp = try sgSSHKey(["public", "--fingerprint", name]).stdoutText
            XCTAssertTrue(fp.hasPrefix("SHA256:"), fp)
            let list = try agentList(agent)
            XCTAssertEqual(list.stdout.split(separator: "\n").count, 1, list.stdout)
            XCTAssertTrue(list.stdout.contains(fp.trimmingCharacters(in: .newlines)), "\(name): \(list.stdout)")
            let login = try sshd.ssh(environment: agent.environment)
            XCTAssertEqual(login.status, 0, "\(name): \(login.stderr)")
        }
    }

    func testSshAddKeepsACoreLimitOfZeroAndEndsWithSgSSHKey() throws {
        // ssh-add holds the decrypted key: unlike the user's own programs it keeps the core limit
        // sg set for itself, and it gets a parent-death signal. A wrapper first on PATH records
        // both, then becomes the real ssh-add.
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }
        let bin = try tmp.appendingPathComponent("bin", isDirectory: true).creatingFolder()
        let wrapper = """
        #!/bin/sh
        ulimit -S -c > '\(tmp.path)/core'
        exec /usr/bin/python3 -c 'import ctypes, os, sys; v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); open(sys.argv[1], "w").write(str(v.value)); os.execv("/usr/bin/ssh-add", ["ssh-add"] + sys.argv[2:])' '\(tmp.path)/pdeathsig' "$@"
        """
        _ = FileManager.default.createFile(atPath: bin.appendingPathComponent("ssh-add").path, contents: Data(wrapper.utf8),
                                           attributes: [.posixPermissions: 0o755])
        var env = toolEnvironment(agent.environment)
        env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        let add = try ToolRunner.run("/bin/sh", ["-c", #"ulimit -S -c 2048; exec "$0" "$@""#, TestPaths.binary("sg-ssh-key"),
                                                 "add", "ssh-ed25519-pass"], environment: env)
        XCTAssertEqual(leak.check(add), [])
        XCTAssertEqual(add.status, 0, add.stderrText)
        XCTAssertEqual(try String(contentsOf: tmp.appendingPathComponent("core"), encoding: .utf8), "0\n")
        XCTAssertEqual(try String(contentsOf: tmp.appendingPathComponent("pdeathsig"), encoding: .utf8), String(SIGTERM))
        XCTAssertEqual(try agentList(agent).stdout.split(separator: "\n").count, 1, "the real ssh-add added the key")
    }

    func testLifetimeRemovesTheKeyFromTheAgent() throws {
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }
        XCTAssertEqual(try sgSSHKey(["add", "ssh-ed25519", "-t", "2"], env: agent.environment).status, 0)
        let addedAt = Date()
        XCTAssertEqual(try agentList(agent).status, 0, "the key is listed right after add")
        XCTAssertTrue(waitUntil(timeout: 10) { (try? self.agentList(agent))?.status == 1 }, "key still listed 10 s after -t 2")
        XCTAssertGreaterThan(Date().timeIntervalSince(addedAt), 1.0, "the key went too early")
        XCTAssertTrue(try agentList(agent).stdout.contains("no identities"))

        // Bad lifetimes are usage errors, before any fetch.
        let bad = try sgSSHKey(["add", "ssh-ed25519", "-t", "soon"], env: agent.environment)
        XCTAssertEqual(bad.status, 64)
        XCTAssertEqual(bad.stdout, Data())
    }

    func testConfirmFlagMakesTheAgentAskAndOnlyAnSSHConfirmRuleApproves() throws {
        let sshd = try SSHDFixture(folder: tmp.appendingPathComponent("sshd", isDirectory: true).creatingFolder())
        defer { sshd.stop() }
        let lines = try publicLines("ssh-ecdsa")
        try sshd.authorize(lines[0])
        let fp = String(lines[1].split(separator: " ")[1])

        for approved in [true, false] {
            let cfg = try config(ssh: approved ? "  confirm:\n    - key: \"\(fp)\"\n" : "  confirm:\n    - key: \"SHA256:nothing*\"\n")
            let wrapper = try askpassWrapper(approved ? "approve" : "refuse")
            let folder = try tmp.appendingPathComponent("agent-\(approved)", isDirectory: true).creatingFolder()
            let agent = try SSHAgentFixture(folder: folder, extraEnvironment: [
                "SSH_ASKPASS": wrapper.path, "SSH_ASKPASS_REQUIRE": "force", "SG_CONFIG": cfg, "SWIFT_BACKTRACE": "enable=no",
                "HOME": tmp.path,
            ])
            defer { agent.stop() }
            let add = try sgSSHKey(["add", "ssh-ecdsa", "-c"], env: agent.environment)
            XCTAssertEqual(add.status, 0, add.stderrText)
            XCTAssertEqual(wrapper.count, 0, "no confirmation before the key is used")
            let login = try sshd.ssh(environment: agent.environment)
            XCTAssertEqual(login.status == 0, approved, "approved=\(approved): \(login.stderr)")
            XCTAssertGreaterThanOrEqual(wrapper.count, 1, "the agent asked sg-askpass to confirm")
            XCTAssertTrue(wrapper.prompts.allSatisfy { $0.hasPrefix("Allow use of key sg:ssh-ecdsa?\nKey fingerprint \(fp).") }, "\(wrapper.prompts)")
            XCTAssertEqual(Set(wrapper.statuses), [approved ? "0" : "1"])
            assertNoLeaks(wrapper)
        }
    }

    func testFetchWritesA0600FileWithPubAndRefusesASymlink() throws {
        let path = tmp.appendingPathComponent("keys/id_sg").path
        try FileManager.default.createDirectory(atPath: tmp.appendingPathComponent("keys").path, withIntermediateDirectories: true)
        let r = try sgSSHKey(["fetch", "ssh-rsa", "-o", path])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdout, Data())
        XCTAssertEqual(r.stderr, Data())
        XCTAssertEqual(mode(path), 0o600)
        XCTAssertEqual(mode(path + ".pub"), 0o644)
        let lines = try publicLines("ssh-rsa")
        XCTAssertEqual(try String(contentsOfFile: path + ".pub", encoding: .utf8), lines[0] + "\n")
        XCTAssertEqual(try run(["ssh-keygen", "-lf", path + ".pub"]).stdout, lines[1] + "\n")
        XCTAssertEqual(blobPart(try run(["ssh-keygen", "-y", "-f", path]).stdout), blobPart(lines[0]))
        // Same bytes as print (which adds the newline the file may lack).
        let printed = try sgSSHKey(["print", "ssh-rsa"]).stdout
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)).trimmingNewline(), printed.trimmingNewline())
        XCTAssertEqual(try sgSSHKey(["fetch", "ssh-rsa"]).stdout, printed, "fetch without -o prints")

        // A symlink at the destination is refused; its target is untouched.
        let target = tmp.appendingPathComponent("target").path
        _ = FileManager.default.createFile(atPath: target, contents: Data("untouched\n".utf8))
        let link = tmp.appendingPathComponent("keys/link").path
        XCTAssertEqual(symlink(target, link), 0)
        let refused = try sgSSHKey(["fetch", "ssh-rsa", "-o", link])
        XCTAssertEqual(refused.status, 74, refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains("symbolic link"), refused.stderrText)
        XCTAssertEqual(refused.stderrText.split(separator: "\n").count, 1)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "untouched\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: link + ".pub"))

        // The encrypted key is written as served (still encrypted) with its .pub from the passphrase.
        let enc = tmp.appendingPathComponent("keys/id_pass").path
        XCTAssertEqual(try sgSSHKey(["fetch", "ssh-rsa-pass", "-o", enc]).status, 0)
        XCTAssertTrue(try String(contentsOfFile: enc, encoding: .utf8).contains("ENCRYPTED"))
        XCTAssertEqual(try String(contentsOfFile: enc + ".pub", encoding: .utf8), try publicLines("ssh-rsa-pass")[0] + "\n")
        // No stray temporary files.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("keys").path).sorted(),
                       ["id_pass", "id_pass.pub", "id_sg", "id_sg.pub", "link"])
    }

    func testFingerprintsEqualSSHKeygen() throws {
        for name in Self.keyNames {
            let lines = try publicLines(name)
            let pub = tmp.appendingPathComponent("\(name).pub").path
            try (lines[0] + "\n").write(toFile: pub, atomically: true, encoding: .utf8)
            XCTAssertEqual(try run(["ssh-keygen", "-lf", pub]).stdout, lines[1] + "\n", name)
            let fp = try sgSSHKey(["public", "--fingerprint", name]).stdoutText
            XCTAssertEqual(fp, String(lines[1].split(separator: " ")[1]) + "\n")
            let key = try sgSSHKey(["public", "--key", name]).stdoutText
            XCTAssertEqual(key, lines[0] + "\n")
            if !name.hasSuffix("-pass") {
                let file = tmp.appendingPathComponent(name).path
                XCTAssertEqual(try sgSSHKey(["fetch", name, "-o", file]).status, 0)
                let keygen = try run(["ssh-keygen", "-lf", file]).stdout
                XCTAssertEqual(keygen.split(separator: " ")[1], lines[1].split(separator: " ")[1], name)
            }
        }
    }

    func testSsh2OutputIsReadBySSHKeygenImport() throws {
        let r = try sgSSHKey(["print", "ssh-rsa", "--format", "ssh2"])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertTrue(r.stdoutText.hasPrefix("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"), String(r.stdoutText.prefix(60)))
        let file = tmp.appendingPathComponent("rsa.ssh2").path
        _ = FileManager.default.createFile(atPath: file, contents: r.stdout, attributes: [.posixPermissions: 0o600])
        let imported = try run(["ssh-keygen", "-i", "-f", file]).stdout
        XCTAssertTrue(imported.contains("PRIVATE KEY-----"), String(imported.prefix(60)))
        let opensshFile = tmp.appendingPathComponent("rsa.imported").path
        _ = FileManager.default.createFile(atPath: opensshFile, contents: Data(imported.utf8), attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(blobPart(try run(["ssh-keygen", "-y", "-f", opensshFile]).stdout), blobPart(try publicLines("ssh-rsa")[0]))

        // fetch -o in ssh2 writes the Ssh2 text, with the .pub taken from the OpenSSH form.
        let out = tmp.appendingPathComponent("rsa2").path
        XCTAssertEqual(try sgSSHKey(["fetch", "ssh-rsa", "--format", "ssh2", "-o", out]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)).trimmingNewline(), r.stdout.trimmingNewline())
        XCTAssertEqual(try String(contentsOfFile: out + ".pub", encoding: .utf8), try publicLines("ssh-rsa")[0] + "\n")

        // The sim (like puttygen) has no Ssh2 form of an Ed25519 key: a clean failure, nothing on stdout.
        let ed = try sgSSHKey(["print", "ssh-ed25519", "--format", "ssh2"])
        XCTAssertNotEqual(ed.status, 0)
        XCTAssertEqual(ed.stdout, Data())
        XCTAssertEqual(ed.stderrText.split(separator: "\n").count, 1, ed.stderrText)
    }

    func testPuttyFormatIsPrintedAndMatchesTheKey() throws {
        let r = try sgSSHKey(["print", "ssh-ed25519", "--format", "putty"])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertTrue(r.stdoutText.hasPrefix("PuTTY-User-Key-File-3: ssh-ed25519\n"), String(r.stdoutText.prefix(60)))
        let file = tmp.appendingPathComponent("ed.ppk").path
        _ = FileManager.default.createFile(atPath: file, contents: r.stdout, attributes: [.posixPermissions: 0o600])
        let pub = try run(["puttygen", file, "-O", "public-openssh"]).stdout
        XCTAssertEqual(blobPart(pub), blobPart(try publicLines("ssh-ed25519")[0]))
    }

    func testFormatAndSecretErrorsUseSysexitsCodes() throws {
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }
        for (args, code) in [(["add", "ssh-rsa", "--format", "putty"], Int32(64)),
                             (["public", "ssh-rsa", "--format", "ssh2"], 64),
                             (["print", "ssh-rsa", "--format", "pem"], 64),
                             (["print", "no-such-key"], 67),
                             (["public", "demo-db"], 67),
                             (["add", "nothing-here"], 67),
                             (["frobnicate"], 64)] {
            let r = try sgSSHKey(args, env: agent.environment)
            XCTAssertEqual(r.status, code, "\(args): \(r.stderrText)")
            XCTAssertEqual(r.stdout, Data(), "\(args)")
        }
        // add without an agent fails before fetching anything.
        let noAgent = try sgSSHKey(["add", "ssh-ed25519"])
        XCTAssertNotEqual(noAgent.status, 0)
        XCTAssertTrue(noAgent.stderrText.contains("SSH_AUTH_SOCK"), noAgent.stderrText)
        XCTAssertEqual(try agentList(agent).status, 1, "nothing was added")

        // An encrypted key whose secret names no passphrase is a config error, not a prompt.
        let cfg = try config { $0.replacingOccurrences(of: "    passphrase: ssh-rsa-pass-phrase\n", with: "") }
        let r = try sgSSHKey(["add", "ssh-rsa-pass"], config: cfg, env: agent.environment)
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("passphrase"), r.stderrText)
        // fetch -o still writes it, and says why there is no .pub.
        let out = tmp.appendingPathComponent("nopass").path
        let f = try sgSSHKey(["fetch", "ssh-rsa-pass", "-o", out], config: cfg)
        XCTAssertEqual(f.status, 0, f.stderrText)
        XCTAssertTrue(f.stderrText.hasPrefix("sg-ssh-key: warning: \(out).pub not written"), f.stderrText)
        XCTAssertEqual(mode(out), 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".pub"))
    }

    func testHelpDocumentsThePublicOutput() throws {
        let r = try sgSSHKey(["public", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdoutText.contains("ssh-keygen -lf"), r.stdoutText)
    }

    // MARK: helpers

    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }

    /// `TYPE BASE64` of a public-key line (without the comment).
    func blobPart(_ line: String) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(2).joined(separator: " ")
    }
}

extension URL {
    func creatingFolder() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}

extension Data {
    func trimmingNewline() -> Data {
        var d = self
        while d.last == 0x0A { d.removeLast() }
        return d
    }
}
