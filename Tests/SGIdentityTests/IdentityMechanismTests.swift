import Foundation
import SGCore
import SGIdentity
import SGTestSupport
import SGTransport
import Synchronization
import XCTest

/// Every MFA mechanism sg-sim's tenant offers (docs/sim.md), NewPackage, and the external-IdP
/// flow, logged in through IdentityClient; each test also checks that sg never sent a request
/// missing what ark-sdk-python sends (the sim answers those 400).
final class IdentityMechanismTests: SimCase {
    func client(_ user: String, mechanism: String? = nil, otp: SecretSource? = nil, prompter: any Prompter = NoPrompt(),
                oobTimeout: Double = 20, idpTimeout: Double = 20,
                browser: BrowserOpener = BrowserOpener(isAvailable: false) { _ in }) throws -> IdentityClient {
        var p = try identityProfile()
        p.username = user
        p.password = ready.users.identity[user].map { envSource($0.password) }
        p.mechanism = mechanism
        p.otp = otp
        return try IdentityClient(profile: p, prompter: prompter, oobPollInterval: 0.1, oobTimeout: oobTimeout,
                                  idpTimeout: idpTimeout, browser: browser)
    }

    override func tearDownWithError() throws {
        let refused = try simulator.log().filter { $0.status == 400 }.map(\.path)
        XCTAssertEqual(refused, [], "sg sent a request without what the ark SDK sends")
    }

    /// The code the sim's authenticator app shows now (RFC 6238).
    func totp() throws -> String { try XCTUnwrap(simulator.adminObject("/admin/identity/totp")["code"] as? String) }

    func advanceCount() throws -> Int { try simulator.log().filter { $0.path == "/Security/AdvanceAuthentication" }.count }

    // MARK: push and polled factors

    func testOTPPushShowsTheValueToMatchAndIsApprovedByPolling() throws {
        let prompt = ScriptedPrompt(secrets: [""])
        let t = try client("ark-push@sim.example", prompter: prompt).login()
        XCTAssertEqual(t.username, "ark-push@sim.example")
        let shown = prompt.said.joined(separator: "\n")
        XCTAssertNotNil(shown.range(of: #"the device shows [0-9]{2}"#, options: .regularExpression), shown)
        XCTAssertTrue(prompt.asked.contains { $0.hasPrefix("Code") }, "push or code at once: \(prompt.asked)")
        XCTAssertEqual(try advanceCount(), 2 + ready.users.oobPolls, "Answer, StartOOB, the polls")
    }

    func testOTPPushWithoutTerminalIsPolled() throws {
        XCTAssertEqual(try client("ark-push@sim.example", mechanism: "otp").login().username, "ark-push@sim.example")
    }

    func testOTPCodeTypedInsteadOfApproving() throws {
        let prompt = ScriptedPrompt(secrets: [try totp()])
        XCTAssertFalse(try client("ark-push@sim.example", prompter: prompt).login().token.isEmpty)
        XCTAssertEqual(try advanceCount(), 3, "Answer(password), StartOOB, Answer(code): no poll needed")
    }

    func testWrongAuthenticatorCodeLeftPendingIsRejectedInOneLine() throws {
        let prompt = ScriptedPrompt(secrets: ["12345x"])
        let e = assertSGError(.noPermission, try client("ark-push@sim.example", prompter: prompt).login())
        XCTAssertTrue(e?.message.hasSuffix("Identity login of ark-push@sim.example (OTP): the code was rejected (the tenant still waits)") == true,
                      e?.message ?? "")
    }

    func testPhoneCallIsPolled() throws {
        XCTAssertEqual(try client("ark-pf@sim.example", mechanism: "PF").login().username, "ark-pf@sim.example")
    }

    // MARK: email / SMS with a link and a code

    func testEmailCodeTypedWhileTheLinkIsPolled() throws {
        let prompt = ScriptedPrompt(secrets: [""])
        var waits = 0
        prompt.whileWaiting = { [unowned self] in
            waits += 1
            guard waits == 3 else { return nil }
            return try XCTUnwrap(simulator.adminObject("/admin/identity/outbox?user=ark-code@sim.example")["code"] as? String)
        }
        let t = try client("ark-code@sim.example", mechanism: "email", prompter: prompt).login()
        XCTAssertEqual(t.username, "ark-code@sim.example")
        XCTAssertEqual(waits, 3)
        XCTAssertEqual(try advanceCount(), 2 + 2 + 1, "Answer, StartOOB, two polls while nothing was typed, Answer(code)")
    }

    func testEmailLinkClickedWhileTheCodePromptWaits() throws {
        let prompt = ScriptedPrompt(secrets: [""])
        var approved = false
        prompt.whileWaiting = { [unowned self] in
            if !approved { approved = try simulator.admin("/admin/identity/approve", json: ["user": "ark-code@sim.example"]).status == 200 }
            return nil
        }
        XCTAssertFalse(try client("ark-code@sim.example", mechanism: "SMS", prompter: prompt).login().token.isEmpty)
        XCTAssertTrue(approved)
    }

    func testEmailCodeFromTheProfileWithoutTerminal() throws {
        // A script that reads the mailbox: the profile's otp: command runs after StartOOB sent the code.
        let outbox = "\(ready.adminURL)/admin/identity/outbox?user=ark-code@sim.example"
        let otp = SecretSource.command("curl -s '\(outbox)' | jq -r .code")
        XCTAssertFalse(try client("ark-code@sim.example", mechanism: "email", otp: otp).login().token.isEmpty)
        XCTAssertEqual(try advanceCount(), 3)
    }

    func testEmailLinkNeverClickedTimesOutWithOneClearLine() throws {
        let started = Date()
        let e = assertSGError(.tempFailure, try client("ark-code@sim.example", mechanism: "email", oobTimeout: 0.5).login())
        XCTAssertTrue(e?.message.contains("not approved within") == true, e?.message ?? "")
        XCTAssertFalse(e?.message.contains("\n") == true)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "bounded")
    }

    func testSessionEndedByTheTenantWhilePollingIsOneClearLine() throws {
        let prompt = ScriptedPrompt(secrets: [""])
        prompt.whileWaiting = { [unowned self] in
            try simulator.post("/admin/identity/expire-sessions")
            return nil
        }
        let e = assertSGError(.noPermission, try client("ark-code@sim.example", mechanism: "email", prompter: prompt).login())
        XCTAssertTrue(e?.message.contains("ended the login session") == true, e?.message ?? "")
    }

    // MARK: typed answers

    func testOATHCodeOnTheTerminal() throws {
        let prompt = ScriptedPrompt(secrets: [try totp()])
        XCTAssertFalse(try client("ark-oath@sim.example", prompter: prompt).login().token.isEmpty)
        XCTAssertEqual(prompt.asked, ["OATH OTP code: "])
    }

    func testOATHCodeFromTheProfileWithoutTerminal() throws {
        XCTAssertFalse(try client("ark-oath@sim.example", mechanism: "oath", otp: envSource(try totp())).login().token.isEmpty)
    }

    func testRejectedCodeIsOneClearLine() throws {
        let e = assertSGError(.noPermission, try client("ark-oath@sim.example", mechanism: "oath", otp: envSource("abcdef")).login())
        XCTAssertTrue(e?.message.contains("the code was rejected") == true, e?.message ?? "")
        XCTAssertFalse(e?.message.contains("abcdef") == true)
    }

    func testTypedFactorWithoutTerminalOrOtpSourceNamesTheSetting() throws {
        let e = assertSGError(.config, try client("ark-oath@sim.example", mechanism: "oath").login())
        XCTAssertTrue(e?.message.contains("'otp:'") == true, e?.message ?? "")
    }

    func testSecurityQuestion() throws {
        let prompt = ScriptedPrompt(secrets: [ready.users.securityAnswer])
        XCTAssertFalse(try client("ark-question@sim.example", prompter: prompt).login().token.isEmpty)
        XCTAssertEqual(prompt.asked, ["What is the name of your first ridge?: "])
    }

    func testWithoutTerminalAndWithoutMechanismSgStillRefuses() throws {
        for user in ["ark-push@sim.example", "ark-code@sim.example", "ark-oath@sim.example"] {
            let e = assertSGError(.config, try client(user).login())
            XCTAssertTrue(e?.message.contains("set 'mechanism:'") == true, e?.message ?? "")
        }
    }

    // MARK: NewPackage

    func testNewPackageReplacesTheChallengesUnattended() throws {
        XCTAssertFalse(try client("ark-newpackage@sim.example", mechanism: "email").login().token.isEmpty)
        XCTAssertEqual(try advanceCount(), 2 + ready.users.oobPolls)
    }

    func testNewPackageMechanismChosenOnTheTerminal() throws {
        let prompt = ScriptedPrompt(secrets: [try totp()], lines: ["2"])
        XCTAssertFalse(try client("ark-newpackage@sim.example", prompter: prompt).login().token.isEmpty)
        XCTAssertEqual(prompt.asked, ["Second factor [1-2]: ", "OATH OTP code: "])
    }

    // MARK: external identity provider

    /// A browser that "logs in" at the IdP: the admin call completes the login; a PIN, if the IdP
    /// shows one, is handed to `pin`.
    func browser(_ user: String, pin: (@Sendable (String) -> Void)? = nil) -> (BrowserOpener, () -> [String]) {
        let opened = Mutex<[String]>([])
        let sim = simulator
        let b = BrowserOpener(isAvailable: true) { url in
            opened.withLock { $0.append(url) }
            let reply = try? sim.adminObject("/admin/identity/idp-complete", json: ["user": user])
            if let p = reply?["pin"] as? String { pin?(p) }
        }
        return (b, { opened.withLock { $0 } })
    }

    func testIdPLoginInTheDesktopBrowserWithoutTerminal() throws {
        let (b, opened) = browser("ark-idp@sim.example")
        let t = try client("ark-idp@sim.example", browser: b).login()
        XCTAssertEqual(t.username, "ark-idp@sim.example")
        XCTAssertNotNil(t.refreshToken)
        XCTAssertEqual(opened().count, 1)
        XCTAssertTrue(opened()[0].hasPrefix("https://localhost:\(ready.identityPort)/s/"), "the short URL: \(opened())")
        XCTAssertTrue(try simulator.log().contains { $0.path == "/Security/OobAuthStatus" })
        // The token refreshes like any other.
        XCTAssertFalse(try client("ark-idp@sim.example").refresh(t).token.isEmpty)
    }

    func testIdPLoginOnTheTerminalPrintsTheURL() throws {
        let (b, _) = browser("ark-idp@sim.example")
        let prompt = ScriptedPrompt()
        XCTAssertFalse(try client("ark-idp@sim.example", prompter: prompt, browser: b).login().token.isEmpty)
        XCTAssertTrue(prompt.said.contains { $0.contains("https://localhost:\(ready.identityPort)/s/") }, "\(prompt.said)")
    }

    func testIdPLoginWithPIN() throws {
        let prompt = ScriptedPrompt()
        let (b, _) = browser("ark-idp-pin@sim.example") { prompt.secrets.append($0) }
        XCTAssertFalse(try client("ark-idp-pin@sim.example", prompter: prompt, browser: b).login().token.isEmpty)
        XCTAssertEqual(prompt.asked, ["PIN shown after the identity provider's login: "])
    }

    func testIdPWrongPINIsRejected() throws {
        let prompt = ScriptedPrompt()
        let (b, _) = browser("ark-idp-pin@sim.example") { _ in prompt.secrets.append("00000000-wrong") }
        let e = assertSGError(.noPermission, try client("ark-idp-pin@sim.example", prompter: prompt, browser: b).login())
        XCTAssertTrue(e?.message.contains("rejected") == true, e?.message ?? "")
    }

    func testIdPWithoutTerminalOrDesktopRefusesAtOnce() throws {
        let started = Date()
        let e = assertSGError(.noPermission, try client("ark-idp@sim.example").login())
        XCTAssertTrue(e?.message.contains("browser") == true, e?.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "no wait")
        let (b, _) = browser("ark-idp-pin@sim.example")
        let pin = assertSGError(.noPermission, try client("ark-idp-pin@sim.example", browser: b).login())
        XCTAssertTrue(pin?.message.contains("PIN") == true, pin?.message ?? "")
    }

    func testIdPLoginNeverFinishedTimesOut() throws {
        let b = BrowserOpener(isAvailable: true) { _ in }
        let e = assertSGError(.tempFailure, try client("ark-idp@sim.example", idpTimeout: 0.5, browser: b).login())
        XCTAssertTrue(e?.message.contains("did not finish within") == true, e?.message ?? "")
    }
}
