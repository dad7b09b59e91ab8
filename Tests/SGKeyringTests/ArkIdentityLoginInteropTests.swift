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
