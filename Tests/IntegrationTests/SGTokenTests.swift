import XCTest
import SGTestSupport

/// sg-token logging in to the simulator for real, and every tool reusing the cached token.
final class SGTokenTests: XCTestCase {
    nonisolated(unsafe) static var sim: Simulator!

    override class func setUp() {
        super.setUp()
        sim = try! Simulator()
    }

    override class func tearDown() {
        sim?.stop()
        super.tearDown()
    }

    var ready: SimReady { Self.sim.ready }
    var home: URL!
    var env: [String: String] = [:]

    override func setUpWithError() throws {
        home = try TestPaths.makeTempDir("token")
        // The sim's config, with a certificate-login profile and password sources for the user logins.
        var text = try String(contentsOfFile: ready.config, encoding: .utf8)
        let ark = (key: "ark-alice@sim.example", value: ready.users.identity["ark-alice@sim.example"]!)
        text = text.replacingOccurrences(of: "profiles:\n", with: """
        profiles:
          cert:
            appliances: ["127.0.0.1:\(ready.port)"]
            ca: \(ready.ca)
            client: {cert: \(ready.clientCert), key: \(ready.clientKey)}
            login: certificate
          pw:
            appliances: ["127.0.0.1:\(ready.port)"]
            ca: \(ready.ca)
            username: alice
            password: {env: SPP_PW}
            login: password
          arkpw:
            kind: cyberark-identity
            tenant: \(ready.identityURL)
            ca: \(ready.ca)
            username: \(ark.key)
            password: {env: ARK_PW}
          arkcode:
            kind: cyberark-identity
            tenant: \(ready.identityURL)
            ca: \(ready.ca)
            username: ark-code@sim.example
            password: {env: ARK_CODE_PW}
          arkpush:
            kind: cyberark-identity
            tenant: \(ready.identityURL)
            ca: \(ready.ca)
            username: ark-push@sim.example
            password: {env: ARK_PUSH_PW}
          arkoath:
            kind: cyberark-identity
            tenant: \(ready.identityURL)
            ca: \(ready.ca)
            username: ark-oath@sim.example
            password: {env: ARK_OATH_PW}
            mechanism: oath
            otp: {command: "curl -s \(ready.adminURL)/admin/identity/totp | jq -r .code"}
          arkidp:
            kind: cyberark-identity
            tenant: \(ready.identityURL)
            ca: \(ready.ca)
            username: ark-idp@sim.example

        """)
        let config = URL(fileURLWithPath: ready.stateDir).appendingPathComponent("token-\(UUID().uuidString).yaml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o600)
        env = ToolRunner.environment(home: home, [
            "SG_CONFIG": config.path, "SG_KEYRING": "file", "SG_KEYRING_DIR": home.appendingPathComponent("keyring").path,
            "SPP_PW": ready.users.rsts["alice"]!.password, "ARK_PW": ark.value.password,
            "ARK_CODE_PW": ready.users.identity["ark-code@sim.example"]!.password,
            "ARK_PUSH_PW": ready.users.identity["ark-push@sim.example"]!.password,
            "ARK_OATH_PW": ready.users.identity["ark-oath@sim.example"]!.password,
        ])
        try Self.sim.post("/admin/reset-log")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: home)
    }

    func run(_ tool: String, _ args: [String]) throws -> ToolRun {
        try ToolRunner.run(TestPaths.binary(tool), args, environment: env)
    }

    func testCertificateLoginIsReusedByEveryToolUntilLogout() throws {
        let login = try run("sg-token", ["login", "-p", "cert"])
        XCTAssertEqual(login.status, 0, login.stderrText)
        let token = try run("sg-token", ["get", "-p", "cert"])
        XCTAssertEqual(token.status, 0, token.stderrText)
        XCTAssertGreaterThan(token.stdout.count, 20)
        let viaSecret = try run("sg-secret", ["sg:token/cert"])
        XCTAssertEqual(viaSecret.stdout, token.stdout)
        XCTAssertEqual(try Self.sim.stats().logins, 1, "one login, reused by sg-token get and sg-secret")
        let status = try run("sg-token", ["status", "--json"])
        XCTAssertTrue(status.stdoutText.contains("\"valid\""), status.stdoutText)
        XCTAssertNil(status.stdout.range(of: token.stdout.dropLast()), "status never prints the token")

        let logout = try run("sg-token", ["logout", "-p", "cert"])
        XCTAssertEqual(logout.status, 0, logout.stderrText)
        XCTAssertTrue(logout.stderrText.contains("revoked on the appliance"), logout.stderrText)
        XCTAssertTrue(try Self.sim.log().contains { $0.path.lowercased().hasSuffix("/token/logout") && $0.status < 300 })
    }

    /// A token that cannot be written whole (stdout full or closed) is a failure, not a silent
    /// exit 0 after half a token: sg-token get writes through SecretOutput like the other tools.
    func testGetThatCannotWriteTheTokenFailsWithIOError() throws {
        XCTAssertEqual(try run("sg-token", ["login", "-p", "cert"]).status, 0)
        let full = try ToolRunner.run("/bin/sh", ["-c", "exec \"$0\" get -p cert >/dev/full", TestPaths.binary("sg-token")],
                                      environment: env)
        XCTAssertEqual(full.status, 74, full.stderrText)
        XCTAssertEqual(full.stderrText.split(separator: "\n").count, 1, full.stderrText)
        XCTAssertTrue(full.stderrText.contains("cannot write to stdout"), full.stderrText)
    }

    func testTwentyParallelGetsOnAnEmptyCacheLogInOnce() throws {
        let binary = TestPaths.binary("sg-token")
        let environment = env
        let results = parallelRuns(20) { try? ToolRunner.run(binary, ["get", "-p", "cert"], environment: environment) }.compactMap { $0 }
        XCTAssertEqual(results.count, 20)
        XCTAssertEqual(results.filter { $0.status == 0 }.count, 20, results.map(\.stderrText).joined())
        XCTAssertEqual(Set(results.map(\.stdout)).count, 1, "every caller got the same token")
        XCTAssertLessThanOrEqual(try Self.sim.stats().logins, 2, "the login lock lets one process log in")
    }

    func testPasswordLoginAndExpiredTokenNeedsLoginAgain() throws {
        XCTAssertEqual(try run("sg-token", ["login", "-p", "pw"]).status, 0)
        XCTAssertEqual(try run("sg-token", ["get", "-p", "pw"]).status, 0)
        // The appliance forgets every token: the cached one still looks valid locally, so tools use it
        // until the appliance refuses it; a fresh unattended login (password source) renews it.
        try Self.sim.post("/admin/expire-tokens")
        XCTAssertEqual(try run("sg-token", ["login", "-p", "pw"]).status, 0)
        XCTAssertEqual(try Self.sim.stats().logins, 2)
    }

    func testIdentityLoginIsStoredAsArkItem() throws {
        let login = try run("sg-token", ["login", "-p", "arkpw", "--method", "identity"])
        XCTAssertEqual(login.status, 0, login.stderrText)
        let list = try run("sg-token", ["list", "--json"])
        XCTAssertTrue(list.stdoutText.contains("isp-"), list.stdoutText)
        let get = try run("sg-token", ["get", "-p", "arkpw"])
        XCTAssertEqual(get.status, 0, get.stderrText)
        XCTAssertEqual(get.stdout.split(separator: UInt8(ascii: ".")).count, 3, "a JWT")
    }

    // MARK: CyberArk Identity MFA: script(1) gives sg-token a terminal

    func assertIdentityDialectKept(file: StaticString = #filePath, line: UInt = #line) throws {
        let refused = try Self.sim.log().filter { $0.status == 400 }.map(\.path)
        XCTAssertEqual(refused, [], "sg sent a request without what the ark SDK sends", file: file, line: line)
    }

    func testIdentityEmailCodeTypedOnTheTerminalWhileTheLinkIsPolled() throws {
        let term = try TerminalRun([TestPaths.binary("sg-token"), "login", "-p", "arkcode", "--method", "identity"], environment: env)
        try term.waitFor("Second factor [1-2]: ")
        term.type("1")
        try term.waitFor("Code (or approve on your device): ")
        let code = try XCTUnwrap(Self.sim.adminObject("/admin/identity/outbox?user=ark-code@sim.example")["code"] as? String)
        Thread.sleep(forTimeInterval: 1.2)   // a few polls go by while nothing is typed
        term.type(code)
        XCTAssertEqual(try term.finish(), 0, term.text)
        XCTAssertFalse(term.text.contains(code), "the code is not echoed")
        XCTAssertTrue(term.text.contains("logged in to arkcode"), term.text)
        let polls = try Self.sim.log().filter { $0.path == "/Security/AdvanceAuthentication" }.count
        XCTAssertGreaterThan(polls, 3, "polled while the prompt waited")
        XCTAssertEqual(try run("sg-token", ["get", "-p", "arkcode"]).status, 0)
        try assertIdentityDialectKept()
    }

    func testIdentityPushApprovedWhileTheCodePromptWaitsShowsTheValueToMatch() throws {
        let term = try TerminalRun([TestPaths.binary("sg-token"), "login", "-p", "arkpush", "--method", "identity"], environment: env)
        // Nothing typed: the sim approves the push at its 2nd poll, which ends the prompt.
        XCTAssertEqual(try term.finish(), 0, term.text)
        XCTAssertNotNil(term.text.range(of: #"the device shows [0-9]{2}"#, options: .regularExpression), term.text)
        XCTAssertTrue(term.text.contains("Code (or approve on your device): "), term.text)
        try assertIdentityDialectKept()
    }

    func testIdentityOATHFromTheProfileLogsInUnattended() throws {
        // No login beforehand: get logs in by itself, the code coming from the profile's otp: command.
        let get = try run("sg-token", ["get", "-p", "arkoath"])
        XCTAssertEqual(get.status, 0, get.stderrText)
        XCTAssertEqual(get.stdout.split(separator: UInt8(ascii: ".")).count, 3, "a JWT")
        XCTAssertEqual(try Self.sim.stats().logins, 1)
        try assertIdentityDialectKept()
    }

    func testIdentityMFAWithoutTerminalOrMechanismIsRefused() throws {
        let r = try run("sg-token", ["login", "-p", "arkcode", "--method", "identity"])
        XCTAssertEqual(r.status, 78, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("set 'mechanism:'"), r.stderrText)
    }

    func testIdentityExternalIdPOpensTheDesktopBrowserAndPolls() throws {
        // A fake xdg-open plays the browser: it completes the IdP login through the sim's admin API.
        let bin = home.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let opened = home.appendingPathComponent("opened").path
        try """
        #!/bin/sh
        printf '%s\\n' "$1" >> '\(opened)'
        curl -s -X POST -H 'Content-Type: application/json' -d '{"user":"ark-idp@sim.example"}' \(ready.adminURL)/admin/identity/idp-complete >/dev/null
        """.write(to: bin.appendingPathComponent("xdg-open"), atomically: true, encoding: .utf8)
        chmod(bin.appendingPathComponent("xdg-open").path, 0o755)
        var desktop = env
        desktop["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        desktop["DISPLAY"] = ":99"
        let login = try ToolRunner.run(TestPaths.binary("sg-token"), ["login", "-p", "arkidp"], environment: desktop)
        XCTAssertEqual(login.status, 0, login.stderrText)
        XCTAssertTrue(try String(contentsOfFile: opened, encoding: .utf8).hasPrefix("https://localhost:\(ready.identityPort)/s/"))
        XCTAssertEqual(try run("sg-token", ["get", "-p", "arkidp"]).status, 0)
        // No desktop and no terminal: refused at once, nothing waits.
        let started = Date()
        let refused = try run("sg-token", ["login", "-p", "arkidp"])
        XCTAssertEqual(refused.status, 77, refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains("identity provider"), refused.stderrText)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        try assertIdentityDialectKept()
    }

    func testNoTokenAndNoUnattendedLoginExits77WithTheCommandToRun() throws {
        let r = try run("sg-token", ["get", "-p", "sim"])
        XCTAssertEqual(r.status, 77, r.stderrText)
        XCTAssertTrue(r.stderrText.contains("run: sg-token login -p sim"), r.stderrText)
        let s = try run("sg-secret", ["sg:token/sim"])
        XCTAssertEqual(s.status, 77)
        XCTAssertTrue(s.stdout.isEmpty)
    }

    func testNoSecretLeaksFromTokenCommands() throws {
        let check = LeakCheck(simulator: ready)
        let started = Date()
        var problems: [String] = []
        for args in [["login", "-p", "pw"], ["login", "-p", "arkpw"], ["status"], ["list", "--json"], ["logout", "-p", "pw"]] {
            var e = env
            e["SG_LOG"] = "debug"
            let r = try ToolRunner.run(TestPaths.binary("sg-token"), args, environment: e)
            problems += check.check(r).map { "\(args): \($0)" }
        }
        problems += check.checkFiles(under: home, since: started)
        XCTAssertEqual(problems, [])
    }
}

/// Runs `body` `n` times at once on separate threads; results in order.
func parallelRuns<T: Sendable>(_ n: Int, _ body: @escaping @Sendable () -> T) -> [T] {
    // One thread each (GCD would run only as many at once as there are cores).
    let box = ParallelBox<T>(n)
    let done = DispatchSemaphore(value: 0)
    for i in 0..<n {
        Thread {
            let r = body()
            box.lock.lock(); box.items[i] = r; box.lock.unlock()
            done.signal()
        }.start()
    }
    for _ in 0..<n { done.wait() }
    return box.items.map { $0! }
}

final class ParallelBox<T>: @unchecked Sendable {
    var items: [T?]
    let lock = NSLock()
    init(_ n: Int) { items = Array(repeating: nil, count: n) }
}

/// A tool run on a terminal of its own: script(1) gives it a pty, whose output we read and into
/// which we type, as a person would.
final class TerminalRun: @unchecked Sendable {
    let process = Process()
    let input = Pipe(), output = Pipe()
    private let lock = NSLock()
    private var seen = Data()

    init(_ argv: [String], environment: [String: String]) throws {
        let command = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self else { return }
            self.lock.lock()
            self.seen.append(data)
            self.lock.unlock()
        }
        try process.run()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: seen, as: UTF8.self)
    }

    func waitFor(_ needle: String, timeout: TimeInterval = 30) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !text.contains(needle) {
            guard Date() < deadline, process.isRunning else {
                throw NSError(domain: "TerminalRun", code: 1, userInfo: [NSLocalizedDescriptionKey: "no \(needle) in: \(text)"])
            }
            usleep(20_000)
        }
    }

    func type(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The exit status; a run that hangs is killed and fails.
    func finish(timeout: TimeInterval = 60) throws -> Int32 {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw NSError(domain: "TerminalRun", code: 2, userInfo: [NSLocalizedDescriptionKey: "hung: \(text)"])
        }
        process.waitUntilExit()
        usleep(50_000)
        output.fileHandleForReading.readabilityHandler = nil
        try? input.fileHandleForWriting.close()
        return process.terminationStatus
    }
}
