import Foundation
import SGTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// sg-askpass run by real ssh, ssh-add, ssh-agent and git, against sg-sim.
final class AskpassToolTests: SSHToolTestCase {

    func askpass(_ prompt: [String], config: String? = nil, env: [String: String] = [:], answers: [String] = [],
                 file: StaticString = #filePath, line: UInt = #line) throws -> ToolRun {
        try tool("sg-askpass", prompt, config: config, env: env, answers: answers, file: file, line: line)
    }

    func sshEnvironment(_ wrapper: AskpassWrapper, config: String, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ["SSH_ASKPASS": wrapper.path, "SSH_ASKPASS_REQUIRE": "force", "SG_CONFIG": config,
                   "SWIFT_BACKTRACE": "enable=no", "HOME": tmp.path, "DISPLAY": ""]
        for (k, v) in extra { env[k] = v }
        return env
    }

    // MARK: ssh-add

    func testSSHAddOfAnEncryptedKeyFileIsAnsweredByAnSSHKeysRule() throws {
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }
        let keyFile = tmp.appendingPathComponent("keys/id_pass").path
        try FileManager.default.createDirectory(atPath: tmp.appendingPathComponent("keys").path, withIntermediateDirectories: true)
        let fetch = try tool("sg-ssh-key", ["fetch", "ssh-rsa-pass", "-o", keyFile])
        XCTAssertEqual(fetch.status, 0, fetch.stderrText)
        let cfg = try config(ssh: "  keys:\n    - path: \"\(tmp.path)/keys/id_pass*\"\n      secret: ssh-rsa-pass-phrase\n")
        let wrapper = try askpassWrapper()

        let add = try Command.run(["ssh-add", keyFile], environment: sshEnvironment(wrapper, config: cfg, agent.environment))
        XCTAssertEqual(add.status, 0, add.stderr)
        XCTAssertEqual(wrapper.prompts, ["Enter passphrase for \(keyFile): "])
        XCTAssertEqual(wrapper.statuses, ["0"])
        XCTAssertEqual(wrapper.stderr, Data())
        let fp = try tool("sg-ssh-key", ["public", "--fingerprint", "ssh-rsa-pass"]).stdoutText.trimmingCharacters(in: .newlines)
        XCTAssertTrue(try agentList(agent).stdout.contains(fp))
        assertNoLeaks(wrapper)
    }

    func testAWrongKeyMappingDoesNotLoop() throws {
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }
        let keyFile = tmp.appendingPathComponent("id_pass").path
        XCTAssertEqual(try tool("sg-ssh-key", ["fetch", "ssh-rsa-pass", "-o", keyFile]).status, 0)
        let cfg = try config(ssh: "  keys:\n    - path: \"\(keyFile)\"\n      secret: demo-db\n")
        let wrapper = try askpassWrapper()

        let started = Date()
        let add = try Command.run(["ssh-add", keyFile], environment: sshEnvironment(wrapper, config: cfg, agent.environment))
        XCTAssertNotEqual(add.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        // The first prompt is answered (wrongly); the retry is refused, so ssh-add stops.
        XCTAssertEqual(wrapper.count, 2, "\(wrapper.prompts)")
        XCTAssertEqual(wrapper.prompts.last, "Bad passphrase, try again for \(keyFile): ")
        XCTAssertEqual(wrapper.statuses, ["0", "1"])
        XCTAssertEqual(try agentList(agent).status, 1, "nothing was added")
        assertNoLeaks(wrapper)
    }

    func testSSHAddFromStdinUsesTheKeySecretVariable() throws {
        // An encrypted openssh-key-v1 key (bcrypt KDF), as sg-ssh-key add hands to `ssh-add -`.
        let agent = try SSHAgentFixture(folder: tmp)
        defer { agent.stop() }
        let keyFile = tmp.appendingPathComponent("id_v1").path
        _ = try run(["ssh-keygen", "-q", "-t", "ed25519", "-N", sim.ready.sshKeyPassphrase, "-C", "v1", "-f", keyFile])
        let keyText = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        XCTAssertTrue(String(decoding: keyText, as: UTF8.self).contains("BEGIN OPENSSH PRIVATE KEY"))
        let wrapper = try askpassWrapper()
        let env = sshEnvironment(wrapper, config: sim.ready.config,
                                 agent.environment.merging(["SG_ASKPASS_KEY_SECRET": "ssh-rsa-pass-phrase"]) { $1 })
        let add = try Command.run(["ssh-add", "-"], environment: env, input: keyText)
        XCTAssertEqual(add.status, 0, add.stderr)
        XCTAssertEqual(wrapper.prompts, ["Enter passphrase for (stdin): "])
        XCTAssertEqual(try agentList(agent).stdout.split(separator: "\n").count, 1)

        // Without the variable the stdin prompt is refused, once.
        let other = try askpassWrapper("other")
        let agent2 = try SSHAgentFixture(folder: try tmp.appendingPathComponent("a2", isDirectory: true).creatingFolder())
        defer { agent2.stop() }
        let refused = try Command.run(["ssh-add", "-"], environment: sshEnvironment(other, config: sim.ready.config, agent2.environment), input: keyText)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(other.statuses, ["1"])
        assertNoLeaks(wrapper)
        assertNoLeaks(other)
    }

    // MARK: ssh

    func testPasswordAuthenticationIsAnsweredAndAWrongMappingGivesUp() throws {
        let user = "sgaskpass"
        _ = try? Command.run(["userdel", "-r", user])
        _ = try run(["useradd", "-m", "-s", "/bin/sh", user])
        defer { _ = try? Command.run(["userdel", "-r", user]) }
        let password = try XCTUnwrap(sim.ready.passwords["demo-db"])
        // chpasswd reads user:password on stdin, so the password never reaches an argv.
        _ = try run(["chpasswd"], input: Data("\(user):\(password)\n".utf8))

        let sshd = try SSHDFixture(folder: tmp.appendingPathComponent("sshd", isDirectory: true).creatingFolder(),
                                   extraConfig: "PasswordAuthentication yes\nAllowUsers \(user) root\n")
        defer { sshd.stop() }
        func login(_ cfg: String, _ wrapper: AskpassWrapper) throws -> Command.Result {
            try Command.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=no", "-o", "StrictHostKeyChecking=no",
                             "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
                             "-o", "PreferredAuthentications=password", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                             "-p", String(sshd.port), "\(user)@127.0.0.1", "echo logged-in-as-$(id -un)"],
                            environment: sshEnvironment(wrapper, config: cfg), timeout: 60)
        }

        let good = try askpassWrapper("good")
        let cfg = try config(ssh: "  passwords:\n    - match: \"\(user)@127.0.0.1\"\n      secret: demo-db\n")
        let ok = try login(cfg, good)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "logged-in-as-\(user)\n")
        XCTAssertEqual(good.prompts, ["\(user)@127.0.0.1's password: "])
        XCTAssertEqual(good.statuses, ["0"])
        assertNoLeaks(good)

        // A mapping to the wrong secret: ssh asks NumberOfPasswordPrompts (3) times, then gives up.
        let wrong = try askpassWrapper("wrong")
        let badCfg = try config(ssh: "  passwords:\n    - match: \"\(user)@*\"\n      secret: git-team\n")
        let started = Date()
        let denied = try login(badCfg, wrong)
        XCTAssertEqual(denied.status, 255, denied.stderr)
        XCTAssertTrue(denied.stderr.contains("Permission denied"), denied.stderr)
        XCTAssertLessThanOrEqual(wrong.count, 3)
        XCTAssertGreaterThanOrEqual(wrong.count, 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 45)
        assertNoLeaks(wrong)

        // No rule for this user@host: refused at once, ssh gives up.
        let none = try askpassWrapper("none")
        let unmapped = try login(try config(ssh: "  passwords:\n    - match: \"someone-else@*\"\n      secret: demo-db\n"), none)
        XCTAssertEqual(unmapped.status, 255)
        XCTAssertEqual(Set(none.statuses), ["1"])
        XCTAssertTrue(String(decoding: none.stderr, as: UTF8.self).contains("no ssh.passwords rule matches \(user)@127.0.0.1"))
        assertNoLeaks(none)
    }

    func testHostKeyPromptIsRefusedWithoutReadingConfig() throws {
        let sshd = try SSHDFixture(folder: tmp.appendingPathComponent("sshd", isDirectory: true).creatingFolder())
        defer { sshd.stop() }
        let knownHosts = tmp.appendingPathComponent("known_hosts").path
        _ = FileManager.default.createFile(atPath: knownHosts, contents: Data())
        let wrapper = try askpassWrapper()
        // A config path that does not exist: any attempt to load it would exit 78, not 1.
        let env = sshEnvironment(wrapper, config: tmp.appendingPathComponent("missing.yaml").path)
        let r = try Command.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=no", "-o", "StrictHostKeyChecking=ask",
                                 "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "ConnectTimeout=10",
                                 "-p", String(sshd.port), "root@127.0.0.1", "true"], environment: env)
        XCTAssertEqual(r.status, 255)
        XCTAssertTrue(r.stderr.contains("Host key verification failed"), r.stderr)
        XCTAssertEqual(wrapper.count, 1, "\(wrapper.prompts)")
        XCTAssertTrue(wrapper.prompts.first?.hasPrefix("The authenticity of host '[127.0.0.1]:\(sshd.port)") == true, "\(wrapper.prompts)")
        XCTAssertEqual(wrapper.statuses, ["1"])
        XCTAssertEqual(String(decoding: wrapper.stderr, as: UTF8.self),
                       "sg-askpass: host-key questions are never answered: add the host key to known_hosts\n")
        XCTAssertEqual(try String(contentsOfFile: knownHosts, encoding: .utf8), "", "nothing was accepted")
    }

    // MARK: git

    func testGitPasswordPromptIsAnsweredFromGitRules() throws {
        let wrapper = try askpassWrapper()
        let env = ["GIT_ASKPASS": wrapper.path, "SG_CONFIG": sim.ready.config, "SWIFT_BACKTRACE": "enable=no",
                   "HOME": tmp.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "1"]
        let fill = try Command.run(["git", "-c", "credential.helper=", "-c", "credential.useHttpPath=true", "credential", "fill"],
                                   environment: env, input: Data("protocol=https\nhost=git.sim.example\npath=team/repo.git\n\n".utf8))
        XCTAssertEqual(fill.status, 0, fill.stderr)
        XCTAssertEqual(fill.stdout, """
            protocol=https
            host=git.sim.example
            path=team/repo.git
            username=svc-git
            password=\(sim.ready.passwords["git-team"]!)

            """)
        XCTAssertEqual(wrapper.prompts, ["Username for 'https://git.sim.example/team/repo.git': ",
                                         "Password for 'https://svc-git@git.sim.example/team/repo.git': "])
        assertNoLeaks(wrapper)

        // Directly: the answer and a newline, nothing else; longest rule wins.
        let other = try askpass(["Password for 'https://svc-other@git.sim.example/other/x.git': "], answers: [sim.ready.passwords["git-other"]!])
        XCTAssertEqual(other.status, 0, other.stderrText)
        XCTAssertEqual(other.stdoutText, sim.ready.passwords["git-other"]! + "\n")
        XCTAssertEqual(other.stderr, Data())
        // An unmapped host: refused, nothing on stdout, so git falls back to its own prompt.
        let unmapped = try askpass(["Password for 'https://git.elsewhere.example/team': "])
        XCTAssertEqual(unmapped.status, 1)
        XCTAssertEqual(unmapped.stdout, Data())
        // One line that also says which config was read (issue 19).
        XCTAssertTrue(unmapped.stderrText.hasPrefix("sg-askpass: no git rule matches https://git.elsewhere.example; config read: "), unmapped.stderrText)
        XCTAssertEqual(unmapped.stderrText.split(separator: "\n").count, 1, unmapped.stderrText)
    }

    // MARK: issue 13: hostile prompts, dot segments, empty answers

    /// Items 2, 13, 14: a CRLF inside a key path, a git URL with dot segments and a key comment
    /// holding ANSI escapes are refused with one safe line, nothing on stdout.
    func testHostilePromptsAreRefusedWithOneEscapedLine() throws {
        let keyPass = sim.ready.passwords["ssh-rsa-pass-phrase"]!
        let cfg = try config(ssh: "  keys:\n    - path: \"/home/u/.ssh/id_deploy*\"\n      secret: ssh-rsa-pass-phrase\n")
        let plain = try askpass(["Enter passphrase for /home/u/.ssh/id_deploy: "], config: cfg, answers: [keyPass])
        XCTAssertEqual(plain.status, 0, plain.stderrText)
        XCTAssertEqual(plain.stdoutText, keyPass + "\n")
        // "\r\n" is one Swift Character: a Character test let this through to the glob.
        let crlf = try askpass(["Enter passphrase for /home/u/.ssh/id_deploy\r\nevil: "], config: cfg)
        XCTAssertEqual(crlf.status, 1, crlf.stderrText)
        XCTAssertEqual(crlf.stdout, Data())
        XCTAssertEqual(crlf.stderrText, "sg-askpass: prompt not recognised; not answered\n")

        // The sim's rules: /team (svc-git) and /other (svc-other), no host-wide rule.
        for path in ["team/../other/x.git", "team/%2e%2e/other/x.git", "team/%2E%2E/other/x.git", "team/x%2f..%2f..%2fother/x.git"] {
            let r = try askpass(["Password for 'https://svc-git@git.sim.example/\(path)': "])
            XCTAssertEqual(r.status, 1, "\(path): \(r.stderrText)")
            XCTAssertEqual(r.stdout, Data(), path)
        }

        let fp = "SHA256:" + String(repeating: "z", count: 43)
        let ansi = try askpass(["Allow use of key evil\u{1B}[2J\u{1B}]0;title\u{07}?\nKey fingerprint \(fp)."], env: ["SSH_ASKPASS_PROMPT": "confirm"])
        XCTAssertEqual(ansi.status, 1)
        XCTAssertEqual(ansi.stdout, Data())
        XCTAssertFalse(ansi.stderr.contains(0x1B), ansi.stderrText.debugDescription)
        XCTAssertFalse(ansi.stderr.contains(0x07), ansi.stderrText.debugDescription)
        XCTAssertEqual(ansi.stderrText, "sg-askpass: use of key evil\\x1B[2J\\x1B]0;title\\x07 (\(fp)) is not approved by any ssh.confirm rule\n")

        // A file name is text from a file system: an error naming it is escaped where SGError renders.
        let hostileName = tmp.appendingPathComponent("cfg\u{1B}[2J\u{1B}[31m.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: hostileName, contents: Data("version: 1\n".utf8),
                                                     attributes: [.posixPermissions: 0o666]))
        let unsafe = try askpass(["db@db1.corp's password: "], config: hostileName)
        XCTAssertEqual(unsafe.status, 78, unsafe.stderrText)
        XCTAssertFalse(unsafe.stderr.contains(0x1B), unsafe.stderrText.debugDescription)
        XCTAssertTrue(unsafe.stderrText.contains("cfg\\x1B[2J\\x1B[31m.yaml"), unsafe.stderrText)
    }

    /// Item 9: an empty password from A2A is exit 76 naming the secret; ssh is never sent an empty line.
    func testAnEmptyPasswordIsExit76NotAnEmptyLine() throws {
        XCTAssertEqual(try sim.setPassword("rotating-pw", jsonBody: "\"\"", scratch: tmp), 204)
        defer { _ = try? sim.admin("/admin/rotate", json: ["secret": "rotating-pw"]) }   // the sim is shared by this class
        let cfg = try config(ssh: "  passwords:\n    - match: \"rotator@*\"\n      secret: rotating-pw\n")
        let r = try askpass(["rotator@db1.corp's password: "], config: cfg)
        XCTAssertEqual(r.status, 76, r.stderrText)
        XCTAssertEqual(r.stdout, Data(), "no empty line for ssh")
        XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("'rotating-pw'"), r.stderrText)
        XCTAssertTrue(r.stderrText.contains("empty"), r.stderrText)
    }

    // MARK: direct prompts

    func testPromptKindsAndExitCodes() throws {
        let cfg = try config(ssh: """
              passwords:
                - match: "big@*"
                  secret: big-pw
                - match: "db@db1.corp"
                  secret: demo-db
              confirm:
                - key: "SHA256:AAAA*"

            """)
        let fp43 = "SHA256:AAAA" + String(repeating: "b", count: 39)
        let demo = sim.ready.passwords["demo-db"]!
        let cases: [(String, String?, Int32, String)] = [
            ("The authenticity of host 'h (1.2.3.4)' can't be established.\nED25519 key fingerprint is SHA256:x.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ", nil, 1, ""),
            ("Bad passphrase, try again for /root/.ssh/id_rsa: ", nil, 1, ""),
            ("Enter db@db1.corp's new password: ", nil, 1, ""),
            ("What is your quest? ", nil, 1, ""),
            ("Add key /k (c) to agent?", "confirm", 1, ""),
            ("Allow use of key other?\nKey fingerprint SHA256:" + String(repeating: "z", count: 43) + ".", "confirm", 1, ""),
            ("Allow use of key mine?\nKey fingerprint \(fp43).", "confirm", 0, "yes\n"),
            ("db@db1.corp's password: ", nil, 0, demo + "\n"),
            ("(db@db1.corp) Password: ", nil, 0, demo + "\n"),
            ("(db@db1.corp) Verification code: ", nil, 1, ""),
            ("big@h's password: ", nil, 65, ""),
            ("Username for 'https://git.sim.example/team': ", nil, 0, "svc-git\n"),
        ]
        for (prompt, hint, code, out) in cases {
            var env: [String: String] = [:]
            if let hint { env["SSH_ASKPASS_PROMPT"] = hint }
            let r = try askpass([prompt], config: cfg, env: env, answers: out.isEmpty ? [] : [out])
            XCTAssertEqual(r.status, code, "\(prompt.debugDescription): \(r.stderrText)")
            XCTAssertEqual(r.stdoutText, out, prompt.debugDescription)
            XCTAssertEqual(r.stderrText.isEmpty, code == 0, "\(prompt.debugDescription): \(r.stderrText)")
            XCTAssertLessThanOrEqual(r.stderrText.split(separator: "\n").count, 1)
        }
        let none = try askpass([])
        XCTAssertEqual(none.status, 64)
        XCTAssertEqual(none.stdout, Data())
        // A broken config is reported (78) only when the prompt needs config.
        let broken = tmp.appendingPathComponent("broken.yaml").path
        _ = FileManager.default.createFile(atPath: broken, contents: Data("version: 2\n".utf8), attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(try askpass(["db@db1.corp's password: "], config: broken).status, 78)
        XCTAssertEqual(try askpass(["Bad passphrase, try again for /k: "], config: broken).status, 1)
    }
}
