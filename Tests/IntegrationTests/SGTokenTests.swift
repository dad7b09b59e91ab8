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
        let ark = ready.users.identity.first { !$0.value.oob && !$0.value.redirect }!
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

        """)
        let config = URL(fileURLWithPath: ready.stateDir).appendingPathComponent("token-\(UUID().uuidString).yaml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o600)
        env = ToolRunner.environment(home: home, [
            "SG_CONFIG": config.path, "SG_KEYRING": "file", "SG_KEYRING_DIR": home.appendingPathComponent("keyring").path,
            "SPP_PW": ready.users.rsts["alice"]!.password, "ARK_PW": ark.value.password,
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
