import Foundation
import SGCore
import SGTestSupport
import XCTest

/// ark-sdk-python 2.1.4 logs in to sg-sim's Identity tenant with every mechanism it handles without
/// a terminal (`ArkISPAuth().authenticate(…)`, non-interactive), which proves the sim speaks the SDK's
/// dialect (a request lacking any of the SDK's headers, body fields or cookies gets 400); then sg
/// reads the `isp-<user>` item the SDK wrote from the shared Secret Service cache.
final class ArkIdentityLoginInteropTests: SimCase {
    static let script = #"""
    import json, sys, threading, time, urllib.request
    from ark_sdk_python.auth import ArkISPAuth
    from ark_sdk_python.common import ArkKeyring, ArkSystemConfig
    from ark_sdk_python.models import ArkProfile
    from ark_sdk_python.models.auth import ArkAuthMethod, ArkAuthProfile, ArkSecret, IdentityArkAuthMethodSettings
    ArkKeyring._ArkKeyring__is_docker = staticmethod(lambda: False)
    ArkSystemConfig.disable_interactive()
    profile_name, user, mfa, url, admin, approve = sys.argv[1:7]
    password = sys.stdin.readline().rstrip('\n')   # never in argv
    if approve == 'approve':
        # The person clicks the link in the email while the SDK polls.
        def click():
            for _ in range(100):
                time.sleep(0.3)
                req = urllib.request.Request(admin + '/admin/identity/approve', data=json.dumps({'user': user}).encode(),
                                             headers={'Content-Type': 'application/json'}, method='POST')
                try:
                    urllib.request.urlopen(req)
                    return
                except Exception:
                    pass
        threading.Thread(target=click, daemon=True).start()
    settings = IdentityArkAuthMethodSettings(identity_mfa_method=mfa, identity_mfa_interactive=False, identity_url=url)
    profile = ArkProfile(profile_name=profile_name,
                         auth_profiles={'isp': ArkAuthProfile(username=user, auth_method=ArkAuthMethod.Identity,
                                                              auth_method_settings=settings)})
    token = ArkISPAuth().authenticate(profile=profile, secret=ArkSecret(secret=password) if password else None)
    print(token.token.get_secret_value())
    """#

    override func setUp() {
        super.setUp()
        _ = SecretServiceSession.shared
    }

    /// Logs `user` in with the SDK, then checks sg's view of the item it wrote; returns the token.
    @discardableResult
    func arkLogin(_ user: String, mfa: String = "email", approve: Bool = false, browser: Bool = false,
                  file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = try TestPaths.makeTempDir("ark-login")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("login.py").path
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        let profile = "ark-" + String(UUID().uuidString.prefix(8)).lowercased()
        var extra = ["REQUESTS_CA_BUNDLE": ready.ca, "BROWSER": "/bin/true"]
        if browser {
            // The SDK's webbrowser.open runs $BROWSER URL: this one logs in at the IdP (the admin call).
            let b = dir.appendingPathComponent("browser.sh").path
            try """
            #!/bin/sh
            curl -s -X POST -H 'Content-Type: application/json' -d '{"user":"\(user)"}' \(ready.adminURL)/admin/identity/idp-complete >/dev/null
            """.write(toFile: b, atomically: true, encoding: .utf8)
            chmod(b, 0o755)
            extra["BROWSER"] = b
        }
        try simulator.post("/admin/reset-log")
        let password = ready.users.identity[user]?.password ?? ""
        let r = try SecretServiceSession.shared.run(
            [ArkInteropTests.python, script, profile, user, mfa, ready.identityURL, ready.adminURL, approve ? "approve" : "-"],
            extra: extra, stdin: password + "\n", timeout: 120)
        XCTAssertEqual(r.status, 0, "ark SDK login of \(user) (\(mfa)): \(r.stderr.suffix(2000))", file: file, line: line)
        let token = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(token.split(separator: ".").count, 3, "a JWT", file: file, line: line)
        let log = try simulator.log()
        XCTAssertEqual(log.filter { $0.status == 400 }.map(\.path), [], "the SDK met a dialect check", file: file, line: line)
        XCTAssertTrue(log.contains { $0.status == 200 && ($0.path == "/Security/AdvanceAuthentication" || $0.path == "/Security/OobAuthStatus") },
                      file: file, line: line)

        // sg reads the SDK's isp-<user> item from the shared Secret Service cache.
        let config = dir.appendingPathComponent("config.yaml")
        try """
        version: 1
        profiles:
          \(profile):
            kind: cyberark-identity
            tenant: \(ready.identityURL)
            ca: \(ready.ca)
            username: \(user)

        """.write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o600)
        let get = try SecretServiceSession.shared.run([TestPaths.binary("sg-token"), "get", "-p", profile],
                                                      extra: ["SG_CONFIG": config.path, "SG_KEYRING": "secret-service"])
        XCTAssertEqual(get.status, 0, get.stderr, file: file, line: line)
        XCTAssertEqual(get.stdout.trimmingCharacters(in: .newlines), token, "sg returns the token the SDK cached", file: file, line: line)
        return token
    }

    /// The SDK's interactive path (a person at a terminal): login.py with `identity_mfa_interactive`
    /// under script(1); the driver answers the terminal's cursor-position queries (inquirer asks) and
    /// types, after each prompt text, Enter or the code an admin URL gives.
    static let terminalDriver = #"""
    import json, os, select, subprocess, sys, time, urllib.request
    command, steps = sys.argv[1], json.loads(sys.argv[2])
    p = subprocess.Popen(['script', '-q', '-e', '-c', command, '/dev/null'], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, TERM='vt100'))
    os.set_blocking(p.stdout.fileno(), False)
    seen = b''
    def pump(until, seconds):
        global seen
        end = time.time() + seconds
        while time.time() < end and p.poll() is None:
            if until is not None and until.encode() in seen:
                return True
            ready, _, _ = select.select([p.stdout], [], [], 0.1)
            data = p.stdout.read() if ready else None
            if data:
                seen += data
                if b'\x1b[6n' in data:
                    p.stdin.write(b'\x1b[1;1R' * data.count(b'\x1b[6n'))
                    p.stdin.flush()
        return until is not None and until.encode() in seen
    for prompt, answer in steps:
        if not pump(prompt, 60):
            sys.exit('no prompt %r in: %r' % (prompt, seen[-600:]))
        seen = seen[seen.index(prompt.encode()) + len(prompt):]
        if answer.startswith('http'):
            answer = json.load(urllib.request.urlopen(answer))['code']
        elif answer.startswith('file:'):
            answer = open(answer[5:]).read().strip()
        time.sleep(0.5)
        p.stdin.write(answer.encode() + b'\r')
        p.stdin.flush()
    pump(None, 60)
    if p.poll() is None:
        p.kill()
        sys.exit('hung: %r' % seen[-600:])
    sys.stdout.write(seen.decode(errors='replace'))
    sys.exit(p.returncode)
    """#

    static let interactiveLogin = #"""
    import os, sys
    from ark_sdk_python.auth import ArkISPAuth
    from ark_sdk_python.models import ArkProfile
    from ark_sdk_python.models.auth import ArkAuthMethod, ArkAuthProfile, ArkSecret, IdentityArkAuthMethodSettings
    user, mfa, url = sys.argv[1:4]
    password = os.environ.pop('ARK_TEST_PASSWORD')   # never in argv
    settings = IdentityArkAuthMethodSettings(identity_mfa_method=mfa, identity_mfa_interactive=True, identity_url=url)
    profile = ArkProfile(profile_name='ark-terminal',
                         auth_profiles={'isp': ArkAuthProfile(username=user, auth_method=ArkAuthMethod.Identity,
                                                              auth_method_settings=settings)})
    token = ArkISPAuth(cache_authentication=False).authenticate(profile=profile, secret=ArkSecret(secret=password))
    print('LOGGED-IN', len(token.token.get_secret_value().split('.')))
    """#

    /// Logs `user` in with the SDK on a terminal, answering `steps` (prompt text, then Enter or a code URL).
    func arkTerminalLogin(_ user: String, mfa: String, steps: [[String]], browser: String = "/bin/true",
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try TestPaths.makeTempDir("ark-tty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let driver = dir.appendingPathComponent("driver.py").path, login = dir.appendingPathComponent("login.py").path
        try Self.terminalDriver.write(toFile: driver, atomically: true, encoding: .utf8)
        try Self.interactiveLogin.write(toFile: login, atomically: true, encoding: .utf8)
        let command = [ArkInteropTests.python, "-W", "ignore", login, user, mfa, ready.identityURL]
            .map { "'" + $0 + "'" }.joined(separator: " ")
        let stepsJSON = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        try simulator.post("/admin/reset-log")
        let r = try SecretServiceSession.run(["/usr/bin/python3", driver, command, stepsJSON],
                                             environment: ["PATH": "/usr/bin:/bin", "HOME": dir.path, "LANG": "C.UTF-8",
                                                           "REQUESTS_CA_BUNDLE": ready.ca, "BROWSER": browser,
                                                           "ARK_TEST_PASSWORD": ready.users.identity[user]!.password], timeout: 150)
        XCTAssertEqual(r.status, 0, "\(r.stderr.suffix(1500)) \(r.stdout.suffix(1500))", file: file, line: line)
        XCTAssertTrue(r.stdout.contains("LOGGED-IN 3"), r.stdout.suffix(1500).description, file: file, line: line)
        XCTAssertEqual(try simulator.log().filter { $0.status == 400 }.map(\.path), [], "the SDK met a dialect check", file: file, line: line)
    }

    func testOATHCodeTypedOnTheTerminal() throws {
        try arkTerminalLogin("ark-oath@sim.example", mfa: "oath", steps: [
            ["Please pick one of the following MFA methods", ""],
            ["OATH OTP code", "\(ready.adminURL)/admin/identity/totp"],
        ])
    }

    func testEmailCodeTypedOnTheTerminalWhileTheSDKPolls() throws {
        try arkTerminalLogin("ark-code@sim.example", mfa: "email", steps: [
            ["Please pick one of the following MFA methods", ""],
            ["Email... @sim.example", "\(ready.adminURL)/admin/identity/outbox?user=ark-code@sim.example"],
        ])
    }

    func testExternalIdPWithThePINTypedOnTheTerminal() throws {
        // The browser logs in at the IdP, which shows a PIN (kept in a file); the person types it.
        let dir = try TestPaths.makeTempDir("ark-pin")
        defer { try? FileManager.default.removeItem(at: dir) }
        let browser = dir.appendingPathComponent("browser.sh").path, pin = dir.appendingPathComponent("pin").path
        try """
        #!/bin/sh
        curl -s -X POST -H 'Content-Type: application/json' -d '{"user":"ark-idp-pin@sim.example"}' \(ready.adminURL)/admin/identity/idp-complete | jq -r .pin > '\(pin)'
        """.write(toFile: browser, atomically: true, encoding: .utf8)
        chmod(browser, 0o755)
        try arkTerminalLogin("ark-idp-pin@sim.example", mfa: "email", steps: [
            ["Please enter the PIN code displayed", "file:" + pin],
        ], browser: browser)
    }

    func testPasswordOnly() throws { try arkLogin("ark-alice@sim.example") }
    func testPodFqdnRedirectThenPassword() throws { try arkLogin("ark-redirect@sim.example") }
    func testEmailPolled() throws { try arkLogin("ark-oob@sim.example", mfa: "email") }
    func testSMSPolled() throws { try arkLogin("ark-oob@sim.example", mfa: "sms") }
    func testOTPPushPolled() throws { try arkLogin("ark-push@sim.example", mfa: "otp") }
    func testPhoneCallPolled() throws { try arkLogin("ark-pf@sim.example", mfa: "pf") }
    func testEmailWithCodeApprovedByTheLink() throws { try arkLogin("ark-code@sim.example", mfa: "email", approve: true) }
    func testNewPackage() throws { try arkLogin("ark-newpackage@sim.example", mfa: "email") }
    func testExternalIdPInTheBrowser() throws { try arkLogin("ark-idp@sim.example", browser: true) }
}
