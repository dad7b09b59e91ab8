import Foundation
import XCTest
import SGCore
@testable import SGSSH

final class AskpassTests: XCTestCase {
    let fp = "SHA256:snmfWcYlqdDS0Yx1Xh8i1Gg6hOKPKlp1O4CJ5MExcYo"

    func testClassifiesEveryOpenSSHAndGitPrompt() {
        let table: [(String, String?, AskpassPrompt)] = [
            ("Enter passphrase for key '/root/.ssh/id_deploy': ", nil, .keyPassphrase(key: "/root/.ssh/id_deploy", confirmEachUse: false)),
            ("Enter passphrase for key '/home/a b/it's.key': ", nil, .keyPassphrase(key: "/home/a b/it's.key", confirmEachUse: false)),
            ("Enter passphrase for sshexp/id_test: ", nil, .keyPassphrase(key: "sshexp/id_test", confirmEachUse: false)),
            ("Enter passphrase for /k (will confirm each use): ", nil, .keyPassphrase(key: "/k", confirmEachUse: true)),
            ("Enter passphrase for (stdin): ", nil, .keyPassphrase(key: "(stdin)", confirmEachUse: false)),
            ("Enter passphrase for /k:", nil, .keyPassphrase(key: "/k", confirmEachUse: false)),
            ("Bad passphrase, try again for /k: ", nil, .badPassphrase(key: "/k")),
            ("Bad passphrase, try again for (stdin) (will confirm each use): ", nil, .badPassphrase(key: "(stdin)")),
            ("deploy@db1.corp.example's password: ", nil, .password(user: "deploy", host: "db1.corp.example")),
            ("a@b@host's password: ", nil, .password(user: "a@b", host: "host")),
            ("Enter deploy@db1's old password: ", nil, .passwordChange),
            ("Enter deploy@db1's new password: ", nil, .passwordChange),
            ("Retype deploy@db1's new password: ", nil, .passwordChange),
            ("(deploy@db1) Password: ", nil, .keyboardInteractive(user: "deploy", host: "db1", prompt: "Password: ")),
            ("(deploy@db1) Verification code: ", nil, .keyboardInteractive(user: "deploy", host: "db1", prompt: "Verification code: ")),
            ("Username for 'https://git.corp.example': ", nil, .gitUsername(url: "https://git.corp.example")),
            ("Password for 'https://svc@git.corp.example': ", nil, .gitPassword(url: "https://svc@git.corp.example")),
            ("Allow use of key testkey?\nKey fingerprint \(fp).", "confirm", .agentConfirm(comment: "testkey", fingerprint: fp)),
            ("Allow use of key testkey?\nKey fingerprint \(fp).\nusing session bound to host", "confirm", .agentConfirm(comment: "testkey", fingerprint: fp)),
            ("Allow use of key testkey?\nKey fingerprint \(fp).", nil, .agentConfirm(comment: "testkey", fingerprint: fp)),
            ("Add key /k (c) to agent?", "confirm", .confirm),
            ("Add key /k (c) to agent?", nil, .confirm),
            ("Allow shared connection to host? ", "confirm", .confirm),
            ("Terminate shared connection to host? ", "confirm", .confirm),
            ("Enter passphrase for key '/k': ", "confirm", .confirm),
            ("Confirm user presence for key ED25519-SK SHA256:x", "none", .notification),
            ("The authenticity of host 'h (127.0.0.1)' can't be established.\nED25519 key fingerprint is \(fp).\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ", nil, .hostKey),
            ("The authenticity of host 'h (127.0.0.1)' can't be established.\nED25519 key fingerprint is: \(fp)\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ", "confirm", .hostKey),
            ("Please type 'yes', 'no' or the fingerprint: ", nil, .hostKey),
            ("Please type 'yes' or 'no': ", nil, .hostKey),
            ("Warning: the ECDSA host key differs\nAre you sure you want to continue connecting (yes/no)? ", nil, .hostKey),
            ("Accept updated hostkeys? (yes/no): ", nil, .hostKey),
            ("Enter passphrase for PKCS#11: ", nil, .unknown),
            ("Enter PIN for authenticator: ", nil, .unknown),
            ("Enter PIN for ED25519-SK key /k: ", nil, .unknown),
            ("Enter lock password: ", nil, .unknown),
            ("Again: ", nil, .unknown),
            ("Enter passphrase: ", nil, .unknown),
            ("", nil, .unknown),
        ]
        for (prompt, hint, expected) in table {
            XCTAssertEqual(AskpassPrompt.classify(prompt, hint: hint), expected, prompt.debugDescription)
        }
    }

    func testHostilePrompts() {
        let table: [(String, AskpassPrompt)] = [
            // A server's keyboard-interactive text that imitates other prompts stays keyboard-interactive
            // for the real user@host, never a key passphrase or another host's password.
            ("(u@real) (evil@host) Password: ", .keyboardInteractive(user: "u", host: "real", prompt: "(evil@host) Password: ")),
            ("(u@real) Enter passphrase for key '/root/.ssh/id_deploy': ", .keyboardInteractive(user: "u", host: "real", prompt: "Enter passphrase for key '/root/.ssh/id_deploy': ")),
            ("(u@real) evil@host's password: ", .keyboardInteractive(user: "u", host: "real", prompt: "evil@host's password: ")),
            ("Please log in (evil@host) Password: ", .unknown),
            ("x (evil@host) Password: ", .unknown),
            ("(evil@host)Password: ", .unknown),
            ("(@host) Password: ", .unknown),
            ("(user@) Password: ", .unknown),
            ("Enter passphrase for key '/k':\nevil@host's password: ", .unknown),
            ("deploy@db1's password: \n", .unknown),
            ("evil\n@host's password: ", .unknown),
            ("dep loy@db1's password: ", .unknown),
            ("Username for 'https://git.corp\n.example': ", .unknown),
            ("Username for 'not a url': ", .unknown),
            ("Allow use of key x?\nKey fingerprint \(fp).?\nKey fingerprint \(fp).", .confirm),
            ("Allow use of key x?\nKey fingerprint SHA256:short.", .confirm),
            (String(repeating: "A", count: 10_000), .unknown),
            ("Enter passphrase for key '" + String(repeating: "k", count: 10_000) + "': ", .unknown),
            ("(" + String(repeating: "u", count: 5000) + "@h) Password: ", .unknown),
        ]
        for (prompt, expected) in table {
            XCTAssertEqual(AskpassPrompt.classify(prompt), expected, String(prompt.prefix(80)).debugDescription)
        }
    }

    func testRandomPromptsNeverCrash() {
        var rng = SplitMix(seed: 42)
        let pieces = ["(", ")", "@", "'", "'s password: ", "Enter passphrase for ", "key '", "': ", "\n", "\0", "é",
                      "Bad passphrase, try again for ", "Allow use of key ", "?\nKey fingerprint ", "SHA256:", ".", " ",
                      "Username for '", "Password for '", "https://", ": ", "Are you sure you want to continue connecting"]
        for _ in 0..<20_000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 8) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
            let p = AskpassPrompt.classify(s, hint: rng.next() % 3 == 0 ? "confirm" : nil)
            _ = AskpassPolicy.decide(p, config: Config(), environment: [:])
        }
    }

    /// The askpass-relevant config, read through the real loader (docs/config.md syntax).
    func config() -> Config {
        let yaml = """
        version: 1
        secrets:
          git-all: {kind: password, api-key: {env: K}, username: all-user}
          git-team: {kind: password, api-key: {env: K}}
          deploy-pass: {kind: password, api-key: {env: K}}
          deploy-password: {kind: password, api-key: {env: K}}
        git:
          rules:
            - url: https://git.corp.example
              secret: git-all
            - url: https://git.corp.example/team
              secret: git-team
              username: svc-git
        ssh:
          keys:
            - path: "~/.ssh/id_deploy*"
              secret: deploy-pass
          passwords:
            - match: "deploy@*.corp.example"
              secret: deploy-password
          confirm:
            - key: "\(fp)"
        """
        do { return try ConfigLoader.parse(yaml, file: "test.yaml", home: "/root") } catch {
            XCTFail("config: \(error)")
            return Config()
        }
    }

    func decide(_ prompt: String, hint: String? = nil, env: [String: String] = [:]) -> AskpassDecision {
        AskpassPolicy.decide(AskpassPrompt.classify(prompt, hint: hint), config: config(), environment: env)
    }

    func testPolicyAnswersOnlyWhatConfigMaps() {
        XCTAssertEqual(decide("Enter passphrase for key '/root/.ssh/id_deploy': "), .secret(name: "deploy-pass"))
        XCTAssertEqual(decide("Enter passphrase for /root/.ssh/id_deploy_ed25519: "), .secret(name: "deploy-pass"))
        XCTAssertEqual(decide("Enter passphrase for key '/root/.ssh/id_other': "), .refuse("no ssh.keys rule matches key /root/.ssh/id_other"))
        XCTAssertEqual(decide("Enter passphrase for key '/root/.ssh/id_deploy/../../etc/x': "),
                       .refuse("no ssh.keys rule matches key /root/.ssh/id_deploy/../../etc/x"))
        XCTAssertEqual(decide("Enter passphrase for (stdin): ", env: ["SG_ASKPASS_KEY_SECRET": "key-pass"]), .secret(name: "key-pass"))
        XCTAssertTrue(isRefusal(decide("Enter passphrase for (stdin): ")))
        XCTAssertTrue(isRefusal(decide("Enter passphrase for (stdin): ", env: ["SG_ASKPASS_KEY_SECRET": "../bad name"])))
        XCTAssertTrue(isRefusal(decide("Bad passphrase, try again for /root/.ssh/id_deploy: ")))
        XCTAssertTrue(isRefusal(decide("Bad passphrase, try again for (stdin): ", env: ["SG_ASKPASS_KEY_SECRET": "key-pass"])))

        XCTAssertEqual(decide("deploy@db1.corp.example's password: "), .secret(name: "deploy-password"))
        XCTAssertTrue(isRefusal(decide("root@db1.corp.example's password: ")))
        XCTAssertTrue(isRefusal(decide("deploy@db1.corp.example.evil.com's password: ")))
        XCTAssertEqual(decide("(deploy@db1.corp.example) Password: "), .secret(name: "deploy-password"))
        XCTAssertTrue(isRefusal(decide("(deploy@db1.corp.example) Verification code: ")))
        XCTAssertTrue(isRefusal(decide("(evil@x) (deploy@db1.corp.example) Password: ")))
        XCTAssertTrue(isRefusal(decide("Enter deploy@db1.corp.example's old password: ")))

        XCTAssertEqual(decide("Username for 'https://git.corp.example': "), .text("all-user"))
        XCTAssertEqual(decide("Password for 'https://all-user@git.corp.example': "), .secret(name: "git-all"))
        XCTAssertEqual(decide("Username for 'https://git.corp.example/team/repo.git': "), .text("svc-git"))
        XCTAssertEqual(decide("Password for 'https://svc-git@git.corp.example/team/repo.git': "), .secret(name: "git-team"))
        XCTAssertEqual(decide("Password for 'https://all-user@git.corp.example/teammates/r': "), .secret(name: "git-all"))
        XCTAssertTrue(isRefusal(decide("Password for 'https://x@git.corp.example/teammates/r': ")), "a rule's fixed user must agree")
        XCTAssertTrue(isRefusal(decide("Password for 'https://git.corp.example.evil.com': ")))
        XCTAssertTrue(isRefusal(decide("Password for 'http://git.corp.example': ")), "http needs allow-http")

        XCTAssertEqual(decide("Allow use of key k?\nKey fingerprint \(fp).", hint: "confirm"), .approve)
        XCTAssertTrue(isRefusal(decide("Allow use of key k?\nKey fingerprint SHA256:AAAAWcYlqdDS0Yx1Xh8i1Gg6hOKPKlp1O4CJ5MExcYo.", hint: "confirm")))
        XCTAssertTrue(isRefusal(decide("Add key /k (c) to agent?", hint: "confirm")))
        XCTAssertTrue(isRefusal(decide("The authenticity of host 'h (1.2.3.4)' can't be established.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ")))
        XCTAssertTrue(isRefusal(decide("something else")))
        XCTAssertTrue(isRefusal(AskpassPolicy.decide(.keyPassphrase(key: "/root/.ssh/id_deploy", confirmEachUse: false), config: Config())))
    }

    func testAnswersSshWouldMangleAreRefused() {
        XCTAssertNoThrow(try AskpassPolicy.validateAnswer(SecretBytes(string: String(repeating: "x", count: 1023))))
        XCTAssertNoThrow(try AskpassPolicy.validateAnswer(SecretBytes(string: "pa ss\twörd")))
        for bad in [String(repeating: "x", count: 1024), "a\nb", "a\rb", "pass\n", "a\0b"] {
            XCTAssertThrowsError(try AskpassPolicy.validateAnswer(SecretBytes(string: bad)), bad.debugDescription)
        }
    }

    /// Issue 13 item 14: "\r\n" is one Swift Character, equal to neither "\r" nor "\n"; control
    /// characters are found on the UTF-8 bytes.
    func testControlCharactersAreFoundOnBytesNotCharacters() {
        for prompt in ["Enter passphrase for /home/u/.ssh/id_deploy\r\nevil: ",
                       "Enter passphrase for key '/root/.ssh/id_deploy\r\n': ",
                       "Enter passphrase for /root/.ssh/id_deploy\u{1B}[2J: ",
                       "Enter passphrase for /root/.ssh/id_deploy\u{9B}2J: ",
                       "deploy@db1.corp.example\r\n's password: ",
                       "Password for 'https://svc-git@git.corp.example/team\r\n': ",
                       "Username for 'https://git.corp.example/\u{7F}': "] {
            XCTAssertEqual(AskpassPrompt.classify(prompt), .unknown, prompt.debugDescription)
            XCTAssertTrue(isRefusal(decide(prompt)), prompt.debugDescription)
        }
        XCTAssertNil(GitURL("https://git.corp.example/x\r\ny"))
        XCTAssertNil(AskpassPrompt.userAtHost("deploy@db1\r\n"))
        XCTAssertEqual(AskpassPrompt.classify("(deploy@db1.corp.example) Password:\r\n"),
                       .keyboardInteractive(user: "deploy", host: "db1.corp.example", prompt: "Password:\r\n"))
        XCTAssertEqual(decide("(deploy@db1.corp.example) Password:\r\n"), .secret(name: "deploy-password"),
                       "the server's CRLF after its question is trimmed like any whitespace")
    }

    /// Issue 13 item 2: the URL in git's prompt gets the same dot-segment rule as git-credential-sg.
    func testGitPromptsWithDotSegmentsNeverGetAPathRulesSecret() {
        for path in ["team/../other/x", "team/%2e%2e/other/x", "team/%2E%2E/other/x", "team/./x", "team%2fx/y", "team/x%2F..%2Fy"] {
            XCTAssertTrue(isRefusal(decide("Password for 'https://svc-git@git.corp.example/\(path)': ")), path)
            XCTAssertEqual(decide("Username for 'https://git.corp.example/\(path)': "), .text("all-user"), "only the host rule: \(path)")
            XCTAssertEqual(decide("Password for 'https://all-user@git.corp.example/\(path)': "), .secret(name: "git-all"), path)
        }
    }

    func isRefusal(_ d: AskpassDecision) -> Bool {
        if case .refuse = d { return true }
        return false
    }
}
