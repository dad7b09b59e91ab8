import Foundation
import SGTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

// Fault tests: every tool against sg-sim's fault injection (docs/reliability.md). Each case checks
// the outcome (success after retry/failover, or one line on stderr and the exit code of README's table), that
// the process ended within the configured timeout plus a margin (a hang fails the test; nothing
// else here depends on speed), and that no partial file or lost cache entry is left behind.

/// How one tool fetches one secret, so that every fault can be driven through every tool.
struct FetchCase: CustomStringConvertible, @unchecked Sendable {
    let tool: String
    let args: [String]
    let stdin: Data?
    /// The secret the call fetches, and what its stdout must then contain.
    let secret: String
    let expect: (SimReady) -> String
    /// The sim path prefix its network calls start with (faults are aimed there).
    var faultPath = "/service/a2a"
    /// Its calls are GETs, so a reset mid-response is retried; a POST login is not (may have been sent).
    var idempotent = true
    var description: String { "\(tool) \(args.prefix(3).joined(separator: " "))" }

    var path: String { TestPaths.binary(tool) }

    /// Every tool that fetches from the appliance, each over the same secret `demo-db` where it can.
    static let all: [FetchCase] = [
        FetchCase(tool: "sg-secret", args: ["sg:demo-db"], stdin: nil, secret: "demo-db",
                  expect: { $0.passwords["demo-db"]! + "\n" }),
        FetchCase(tool: "sg-exec", args: ["-e", "SGV=sg:demo-db", "--", "/bin/sh", "-c", #"printf '%s' "$SGV""#], stdin: nil,
                  secret: "demo-db", expect: { $0.passwords["demo-db"]! }),
        // sg:token/PROFILE: an empty cache, so the tool logs in with the client certificate (rSTS).
        FetchCase(tool: "sg-token", args: ["get", "-p", "cert"], stdin: nil, secret: "token/cert", expect: { _ in "" },
                  faultPath: "/RSTS", idempotent: false),
        FetchCase(tool: "sg-secret", args: ["sg:token/cert"], stdin: nil, secret: "token/cert", expect: { _ in "" },
                  faultPath: "/RSTS", idempotent: false),
        FetchCase(tool: "git-credential-sg", args: ["get"],
                  stdin: Data("protocol=https\nhost=git.sim.example\npath=team/repo.git\n\n".utf8), secret: "git-team",
                  expect: { "password=" + $0.passwords["git-team"]! + "\n" }),
        // ssh's password prompt, mapped by the `ssh.passwords` rule FaultHarness.config adds.
        FetchCase(tool: "sg-askpass", args: ["dbadmin@db.sim.example's password: "], stdin: nil, secret: "demo-db",
                  expect: { $0.passwords["demo-db"]! + "\n" }),
        FetchCase(tool: "sg-ssh-key", args: ["print", "ssh-ed25519"], stdin: nil, secret: "ssh-ed25519",
                  expect: { _ in "-----BEGIN OPENSSH PRIVATE KEY-----" }),
        FetchCase(tool: "sg-ssh-key", args: ["public", "--fingerprint", "ssh-ecdsa"], stdin: nil, secret: "ssh-ecdsa",
                  expect: { _ in "SHA256:" }),
    ]
}

/// A sim shared by the fault and leak tests, with helpers to write derived configs and run tools.
final class FaultHarness: @unchecked Sendable {
    let sim: Simulator
    var ready: SimReady { sim.ready }
    let base: String
    let stateDir: URL

    init() throws {
        sim = try Simulator()
        stateDir = URL(fileURLWithPath: sim.ready.stateDir)
        base = try String(contentsOfFile: sim.ready.config, encoding: .utf8)
    }

    /// The sim's config.yaml with the `sim` profile's settings replaced: `appliances`, `ca`, client
    /// identity and `timeouts`. Written 0600 beside the sim's own (relative API-key paths resolve).
    func config(appliances: [String]? = nil, ca: String? = nil, client: (cert: String, key: String)? = nil,
                timeouts: (connect: Int, total: Int)? = (connect: 2, total: 10), extra: String = "") throws -> String {
        var lines = base.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "sim:" }) else {
            throw NSError(domain: "FaultHarness", code: 1, userInfo: [NSLocalizedDescriptionKey: "no 'sim:' profile in the sim's config"])
        }
        let indent = String(lines[start].prefix { $0 == " " }) + "  "
        var end = start + 1
        while end < lines.count, lines[end].hasPrefix(indent) || lines[end].trimmingCharacters(in: .whitespaces).isEmpty { end += 1 }
        var block = Array(lines[(start + 1)..<end])
        func set(_ key: String, _ value: String) {
            // Drop the key and any nested lines under it, then append the new value.
            if let i = block.firstIndex(where: { $0.hasPrefix(indent + key + ":") }) {
                var j = i + 1
                while j < block.count, block[j].hasPrefix(indent + " ") { j += 1 }
                block.removeSubrange(i..<j)
            }
            block.append(indent + key + ": " + value)
        }
        if let appliances { set("appliances", "[" + appliances.map { "\"\($0)\"" }.joined(separator: ", ") + "]") }
        if let ca { set("ca", ca) }
        if let client { set("client", "{cert: \(client.cert), key: \(client.key)}") }
        if let timeouts { set("timeouts", "{connect: \(timeouts.connect), total: \(timeouts.total)}") }
        // `cert`: the same appliance settings with certificate login, for sg-token / sg:token/cert.
        let cert = [lines[start].replacingOccurrences(of: "sim:", with: "cert:")] + block + [indent + "login: certificate"]
        lines.replaceSubrange((start + 1)..<end, with: block + cert)
        var text = lines.joined(separator: "\n") + extra
        text = text.replacingOccurrences(of: "ssh: {}\n", with: "ssh:\n  passwords:\n    - match: \"dbadmin@*.sim.example\"\n      secret: demo-db\n")
        let url = stateDir.appendingPathComponent("fault-\(UUID().uuidString.prefix(8)).yaml")
        FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        return url.path
    }

    var live: String { "127.0.0.1:\(ready.port)" }

    /// A loopback port nothing listens on (bound then closed).
    static func deadPort() -> Int { LoopbackPort.unused() }

    func fault(_ json: [String: Any]) throws {
        let r = try sim.admin("/admin/fault", json: json)
        XCTAssertEqual(r.status, 200, "admin/fault \(json)")
    }

    func reset() {
        _ = try? sim.post("/admin/clear")
        _ = try? sim.admin("/admin/a2a", json: ["enabled": true])
        _ = try? sim.post("/admin/reset-log")
    }

    /// A fresh HOME (0700) for one run; removed by the test's teardown.
    func home(_ test: XCTestCase) throws -> URL {
        let h = try TestPaths.makeTempDir("fault-home")
        test.addTeardownBlock { try? FileManager.default.removeItem(at: h) }
        return h
    }

    struct Timed: Sendable {
        let run: ToolRun
        let seconds: TimeInterval
    }

    /// Runs a case with `SG_CONFIG=config`; a run longer than `limit` is killed and fails the test.
    func run(_ c: FetchCase, config: String, home: URL, env extra: [String: String] = [:], limit: TimeInterval = 40) throws -> Timed {
        var env = ToolRunner.environment(home: home, ["SG_CONFIG": config, "SG_KEYRING": "file"])
        for (k, v) in extra { env[k] = v }
        let t0 = Date()
        let r = try ToolRunner.run(c.path, c.args, environment: env, stdin: c.stdin, timeout: limit)
        return Timed(run: r, seconds: Date().timeIntervalSince(t0))
    }
}

/// stderr lines that are not empty.
func stderrLines(_ r: ToolRun) -> [String] {
    r.stderrText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
}

/// A test class with one `FaultHarness` (a sim and config helpers) for all its tests; faults,
/// A2A state and the request log are reset before and after each test.
class HarnessCase: XCTestCase {
    nonisolated(unsafe) static var shared: FaultHarness?
    var h: FaultHarness { HarnessCase.shared! }

    override class func setUp() {
        super.setUp()
        HarnessCase.shared = try? FaultHarness()
    }

    override class func tearDown() {
        HarnessCase.shared?.sim.stop()
        HarnessCase.shared = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard HarnessCase.shared != nil else { throw SimulatorError.timeout("sg-sim did not start") }
        h.reset()
    }

    override func tearDownWithError() throws {
        HarnessCase.shared?.reset()
    }
}

final class FaultTests: HarnessCase {
    var cases: [FetchCase] { FetchCase.all }

    // MARK: assertions

    func assertSuccess(_ t: FaultHarness.Timed, _ c: FetchCase, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(t.run.status, 0, "\(c) [\(what)]: \(t.run.stderrText)", file: file, line: line)
        let want = c.expect(h.ready)
        XCTAssertTrue(want.isEmpty || t.run.stdoutText.contains(want), "\(c) [\(what)]: wrong answer", file: file, line: line)
        XCTAssertGreaterThan(t.run.stdout.count, 4, "\(c) [\(what)]: an answer", file: file, line: line)
    }

    /// One clear line on stderr naming the tool, and the exit code; ended within `limit` seconds.
    func assertFailure(_ t: FaultHarness.Timed, _ c: FetchCase, status: Int32, within limit: TimeInterval, mentions: [String] = [],
                       _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(t.run.status, status, "\(c) [\(what)]: stderr: \(t.run.stderrText)", file: file, line: line)
        var lines = stderrLines(t.run)
        // sg-exec resolves many references: one line per failed reference, then "N of the references failed; CMD was not started".
        if c.tool == "sg-exec", lines.count == 2, lines[1].contains("references failed") { lines.removeLast() }
        XCTAssertEqual(lines.count, 1, "\(c) [\(what)]: want one line on stderr, got: \(t.run.stderrText)", file: file, line: line)
        if let first = lines.first {
            XCTAssertTrue(first.hasPrefix(c.tool + ":"), "\(c) [\(what)]: the line names the tool: \(first)", file: file, line: line)
            for m in mentions {
                XCTAssertTrue(first.lowercased().contains(m.lowercased()), "\(c) [\(what)]: '\(first)' should mention \(m)", file: file, line: line)
            }
        }
        XCTAssertTrue(t.run.stdout.isEmpty || c.tool == "sg-exec", "\(c) [\(what)]: nothing on stdout on failure", file: file, line: line)
        XCTAssertLessThan(t.seconds, limit, "\(c) [\(what)]: took \(t.seconds) s", file: file, line: line)
    }

    // MARK: reachability

    func testApplianceDown() throws {
        let config = try h.config(appliances: ["127.0.0.1:\(FaultHarness.deadPort())"], timeouts: (connect: 1, total: 3))
        for c in cases {
            let t = try h.run(c, config: config, home: try h.home(self))
            assertFailure(t, c, status: 69, within: 3 + 10, "appliance down")
        }
    }

    func testEveryClusterMemberDown() throws {
        let config = try h.config(appliances: ["127.0.0.1:\(FaultHarness.deadPort())", "127.0.0.1:\(FaultHarness.deadPort())"],
                                  timeouts: (connect: 1, total: 3))
        for c in cases {
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 69, within: 3 + 10, "cluster down")
        }
    }

    func testFirstClusterMemberDownFailsOver() throws {
        let config = try h.config(appliances: ["127.0.0.1:\(FaultHarness.deadPort())", h.live])
        for c in cases {
            assertSuccess(try h.run(c, config: config, home: try h.home(self)), c, "failover")
        }
    }

    func testSlowerThanTheTimeout() throws {
        let config = try h.config(timeouts: (connect: 1, total: 3))
        for c in cases {
            try h.fault(["delayMs": 8000, "count": 20, "path": c.faultPath])
            let t = try h.run(c, config: config, home: try h.home(self))
            assertFailure(t, c, status: 75, within: 3 + 4, "slow appliance")
            _ = try h.sim.post("/admin/clear")
        }
    }

    // MARK: retries

    func test503WithRetryAfterThenSuccess() throws {
        let config = try h.config()
        for c in cases {
            _ = try h.sim.post("/admin/reset-log")
            try h.fault(["status": 503, "count": 1, "retryAfter": 1, "path": c.faultPath])
            let t = try h.run(c, config: config, home: try h.home(self))
            assertSuccess(t, c, "503 + Retry-After")
            let statuses = try h.sim.log().filter { $0.path.lowercased().hasPrefix(c.faultPath.lowercased()) }.map(\.status)
            XCTAssertEqual(statuses.first, 503, "\(c): the first call got the fault")
            XCTAssertEqual(statuses.last, 200, "\(c): the retry succeeded")
            XCTAssertGreaterThanOrEqual(t.seconds, 0.9, "\(c): Retry-After: 1 was honoured")
        }
    }

    func test429ThatNeverClearsIsTryLater() throws {
        let config = try h.config(timeouts: (connect: 1, total: 3))
        for c in cases {
            try h.fault(["status": 429, "count": 100, "retryAfter": 1, "path": c.faultPath])
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 75, within: 3 + 10, "429 forever")
            _ = try h.sim.post("/admin/clear")
        }
    }

    /// `Retry-After: 1e19` (or any wait beyond Int's range) killed every tool with SIGILL; it is
    /// "try later" (75) at once, one line on stderr.
    func testRetryAfterBeyondAnyRangeIsTryLater() throws {
        let config = try h.config(timeouts: (connect: 1, total: 5))
        for c in cases {
            for value in ["1e19", "99999999999999999999999"] {
                try h.fault(["status": 503, "count": 100, "retryAfter": value, "path": c.faultPath])
                assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 75, within: 5 + 10,
                              mentions: ["wait"], "Retry-After: \(value)")
                _ = try h.sim.post("/admin/clear")
            }
        }
    }

    func testConnectionResetMidResponseIsRetried() throws {
        let config = try h.config()
        for c in cases {
            _ = try h.sim.post("/admin/reset-log")
            try h.fault(["reset": true, "count": 1, "path": c.faultPath])
            let t = try h.run(c, config: config, home: try h.home(self))
            if c.idempotent {
                assertSuccess(t, c, "reset mid-response")
                XCTAssertGreaterThanOrEqual(try h.sim.log().filter { $0.path.lowercased().hasPrefix(c.faultPath.lowercased()) }.count, 2,
                                            "\(c): the GET was sent again")
            } else if t.run.status != 0 {
                // A POST that may have reached the server is not sent again: one line, no hang.
                XCTAssertEqual(stderrLines(t.run).count, 1, "\(c): \(t.run.stderrText)")
                XCTAssertLessThan(t.seconds, 20)
            }
        }
    }

    // MARK: trust and authorization

    func testWrongCAIsUntrustedServer() throws {
        let config = try h.config(ca: h.ready.otherCA)
        for c in cases {
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 78, within: 20, "wrong CA")
        }
    }

    func testUntrustedClientCertificateIsDenied() throws {
        let config = try h.config(client: (h.ready.rogueCert, h.ready.rogueKey))
        for c in cases {
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 77, within: 20,
                          mentions: ["certificate"], "rogue client certificate")
        }
    }

    /// The TLS 1.3 race made certain (sg-sim's certAbort: a reset instead of the alert): every tool
    /// says the certificate was probably rejected (77) after one retry, not "unreachable" (69) or
    /// "may have been applied" (76).
    func testCertificateRejectedWithAnAbruptCloseIsDenied() throws {
        let config = try h.config(client: (h.ready.rogueCert, h.ready.rogueKey))
        for c in cases {
            try h.fault(["certAbort": true, "count": 100])
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 77, within: 20,
                          mentions: ["probably rejected", "tls-max"], "rogue certificate, abrupt close")
            _ = try h.sim.post("/admin/clear")
        }
    }

    /// An appliance that offers only TLS 1.1: configuration (78), naming the version, not 69.
    func testApplianceOfferingOnlyTLS11IsConfiguration() throws {
        let server = try OpenSSLServer(cert: h.ready.serverCert, key: try XCTUnwrap(h.ready.serverKey),
                                       flags: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
        defer { server.stop() }
        let config = try h.config(appliances: ["127.0.0.1:\(server.port)"])
        for c in cases {
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 78, within: 20,
                          mentions: ["TLS 1.1"], "TLS 1.1 only")
        }
    }

    func testA2AServiceDisabled() throws {
        let config = try h.config()
        try h.sim.admin("/admin/a2a", json: ["enabled": false])
        for c in cases where c.faultPath == "/service/a2a" {   // rSTS logins do not use the A2A service
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 69, within: 20, mentions: ["A2A"], "A2A off")
        }
    }

    func testWrongAPIKeyIsDenied() throws {
        let key = h.stateDir.appendingPathComponent("wrong-key-\(UUID().uuidString.prefix(6))")
        FileManager.default.createFile(atPath: key.path, contents: Data("not-the-key\n".utf8), attributes: [.posixPermissions: 0o600])
        let config = try h.config()
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "apikeys/demo-db", with: key.path)
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        for c in cases where c.secret == "demo-db" {
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 77, within: 20, "wrong API key")
        }
    }

    func testGroupWritableConfigIsRefused() throws {
        let config = try h.config()
        chmod(config, 0o620)
        for c in cases {
            assertFailure(try h.run(c, config: config, home: try h.home(self)), c, status: 78, within: 20, mentions: ["chmod"], "unsafe config")
        }
    }

    // MARK: files

    /// `sg-ssh-key fetch -o FILE` under faults: on failure no FILE, no .pub, no temporary file; on success both, 0600.
    func testKeyFetchToFileLeavesNoPartialFile() throws {
        let config = try h.config(timeouts: (connect: 1, total: 3))
        let faults: [[String: Any]] = [["reset": true, "count": 50, "path": "/service/a2a"],
                                       ["delayMs": 8000, "count": 20, "path": "/service/a2a"],
                                       ["status": 503, "count": 50, "retryAfter": 1, "path": "/service/a2a"]]
        let c = FetchCase(tool: "sg-ssh-key", args: [], stdin: nil, secret: "ssh-ed25519", expect: { _ in "" })
        for f in faults {
            let home = try h.home(self)
            let out = home.appendingPathComponent("keys/id_sg").path
            try FileManager.default.createDirectory(atPath: home.appendingPathComponent("keys").path, withIntermediateDirectories: true)
            try h.fault(f)
            let t0 = Date()
            let r = try ToolRunner.run(c.path, ["fetch", "ssh-ed25519", "-o", out],
                                       environment: ToolRunner.environment(home: home, ["SG_CONFIG": config, "SG_KEYRING": "file"]), timeout: 30)
            _ = try h.sim.post("/admin/clear")
            XCTAssertNotEqual(r.status, 0, "\(f)")
            XCTAssertLessThan(Date().timeIntervalSince(t0), 3 + 5, "\(f)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("keys").path), [],
                           "\(f): nothing left in the target folder")
        }
        let home = try h.home(self)
        let out = home.appendingPathComponent("id_sg").path
        let ok = try ToolRunner.run(c.path, ["fetch", "ssh-ed25519", "-o", out],
                                    environment: ToolRunner.environment(home: home, ["SG_CONFIG": config, "SG_KEYRING": "file"]), timeout: 30)
        XCTAssertEqual(ok.status, 0, ok.stderrText)
        let mode = ((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions]) as? NSNumber)?.intValue ?? 0
        XCTAssertEqual(mode & 0o077, 0, "the key is 0600")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + ".pub"))
        // A symlink where FILE.pub goes: refused (exit 74) before either file is written.
        let k4 = home.appendingPathComponent("k4").path
        XCTAssertEqual(symlink(home.appendingPathComponent("elsewhere").path, k4 + ".pub"), 0)
        let refused = try ToolRunner.run(c.path, ["fetch", "ssh-ed25519", "-o", k4],
                                         environment: ToolRunner.environment(home: home, ["SG_CONFIG": config, "SG_KEYRING": "file"]), timeout: 30)
        XCTAssertEqual(refused.status, 74, refused.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: k4), "no private key without its .pub")
    }

    // MARK: load

    func testTwentyConcurrentRuns() throws {
        let config = try h.config()
        for c in cases {
            let home = try h.home(self)
            let harness = h
            // One thread each (parallelRuns, SGTokenTests.swift): GCD would run only as many as there are cores.
            let results = parallelRuns(20) { try? harness.run(c, config: config, home: home, limit: 60) }
            for i in 0..<20 {
                guard let t = results[i] else { XCTFail("\(c) run \(i) hung or failed to start"); continue }
                assertSuccess(t, c, "concurrent run \(i)")
            }
        }
    }
}

/// Token cache faults, through `sg-token` (and every tool that reads `sg:token/PROFILE`): locked
/// keyring, no session bus, no Secret Service, corrupt cache file, token expired between calls,
/// concurrent readers.
final class KeyringFaultTests: HarnessCase {
    /// ArkToken JSON as sg and ark-sdk-python store it (docs/keyring.md), expiring `in` seconds from now.
    static func tokenJSON(_ token: String, expiresIn seconds: TimeInterval) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone.current
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let exp = f.string(from: Date().addingTimeInterval(seconds))
        return #"{"token":"\#(token)","username":"alice","endpoint":"https://127.0.0.1","token_type":"Token","auth_method":"other","expires_in":"\#(exp)","refresh_token":null,"metadata":{},"origin_verify":null}"#
    }

    static func seed(_ session: SecretServiceSession, _ json: String, service: String = "sg-safeguard-alice", account: String = "sim") throws {
        let r = try session.run(["secret-tool", "store", "--label=Password for '\(account)' on '\(service)'",
                                 "service", service, "username", account, "application", "Python keyring library"], stdin: json)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func sgToken(_ args: [String], env: [String: String], limit: TimeInterval = 30) throws -> FaultHarness.Timed {
        var e = env
        e["SG_CONFIG"] = h.ready.config
        e["SWIFT_BACKTRACE"] = "enable=no"
        let t0 = Date()
        let r = try ToolRunner.run(TestPaths.binary("sg-token"), args, environment: e, timeout: limit)
        return FaultHarness.Timed(run: r, seconds: Date().timeIntervalSince(t0))
    }

    func testLockedKeyringIsReportedNotAMiss() throws {
        let session = try SecretServiceSession.start(.locked)
        defer { session.stop() }
        for backend in ["auto", "secret-service"] {
            let t = try sgToken(["get", "-p", "sim"], env: session.environment.merging(["SG_KEYRING": backend]) { $1 })
            XCTAssertEqual(t.run.status, 69, "\(backend): \(t.run.stderrText)")
            XCTAssertEqual(stderrLines(t.run).count, 1, t.run.stderrText)
            XCTAssertTrue(t.run.stderrText.contains("locked"), t.run.stderrText)
            XCTAssertTrue(t.run.stdout.isEmpty)
            XCTAssertLessThan(t.seconds, 15, "a locked keyring must not wait for an unlock prompt")
        }
    }

    func testNoSessionBus() throws {
        let home = try h.home(self)
        var env = ToolRunner.environment(home: home)
        env["DBUS_SESSION_BUS_ADDRESS"] = nil
        env["SG_KEYRING"] = "secret-service"
        let forced = try sgToken(["get", "-p", "sim"], env: env)
        XCTAssertEqual(forced.run.status, 69, forced.run.stderrText)
        XCTAssertEqual(stderrLines(forced.run).count, 1, forced.run.stderrText)
        XCTAssertTrue(forced.run.stderrText.lowercased().contains("bus"), forced.run.stderrText)
        // auto falls back to the encrypted file: an empty cache, so "login required" (77).
        env["SG_KEYRING"] = nil
        let auto = try sgToken(["get", "-p", "sim"], env: env)
        XCTAssertEqual(auto.run.status, 77, auto.run.stderrText)
        XCTAssertTrue(auto.run.stderrText.contains("sg-token login"), auto.run.stderrText)
        // A bus address that points nowhere must not hang either.
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + home.appendingPathComponent("no-such-bus").path
        env["SG_KEYRING"] = "secret-service"
        let dangling = try sgToken(["get", "-p", "sim"], env: env)
        XCTAssertEqual(dangling.run.status, 69, dangling.run.stderrText)
        XCTAssertLessThan(dangling.seconds, 15)
    }

    func testBusWithoutSecretService() throws {
        let session = try SecretServiceSession.start(.noSecretService)
        defer { session.stop() }
        let forced = try sgToken(["get", "-p", "sim"], env: session.environment.merging(["SG_KEYRING": "secret-service"]) { $1 })
        XCTAssertEqual(forced.run.status, 69, forced.run.stderrText)
        XCTAssertEqual(stderrLines(forced.run).count, 1, forced.run.stderrText)
        XCTAssertLessThan(forced.seconds, 15)
        let auto = try sgToken(["get", "-p", "sim"], env: session.environment)
        XCTAssertEqual(auto.run.status, 77, "auto falls back to the file backend: \(auto.run.stderrText)")
    }

    func testCorruptCacheFileIsSetAsideNotACrash() throws {
        let home = try h.home(self)
        let dir = home.appendingPathComponent("keyring")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let garbage: [(String, Data)] = [
            ("not JSON", Data("\u{0}\u{1}garbage\n".utf8)),
            ("other JSON", Data(#"{"format":"something-else","version":1}"#.utf8)),
            ("truncated", Data(#"{"format":"sg-keyring","version":1,"kdf":{"name":"key-file"},"nonce":"AAAA"#.utf8)),
            ("bad base64", Data(#"{"format":"sg-keyring","version":1,"kdf":{"name":"key-file"},"nonce":"!!","data":"??"}"#.utf8)),
            ("empty", Data()),
        ]
        for (what, bytes) in garbage {
            FileManager.default.createFile(atPath: dir.appendingPathComponent("keyring").path, contents: bytes, attributes: [.posixPermissions: 0o600])
            let env = ToolRunner.environment(home: home, ["SG_KEYRING": "file", "SG_KEYRING_DIR": dir.path])
            let list = try sgToken(["list"], env: env)
            XCTAssertEqual(list.run.status, 0, "\(what): \(list.run.stderrText)")
            XCTAssertTrue(list.run.stderrText.contains("warning"), "\(what): the corrupt file is reported: \(list.run.stderrText)")
            let get = try sgToken(["get", "-p", "sim"], env: env)
            XCTAssertEqual(get.run.status, 77, "\(what): an empty cache after setting the file aside: \(get.run.stderrText)")
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            XCTAssertTrue(names.contains { $0.hasPrefix("keyring.corrupt-") }, "\(what): set aside, not deleted: \(names)")
            XCTAssertFalse(names.contains { $0.contains(".tmp") || $0.hasPrefix(".keyring") }, "\(what): no partial file: \(names)")
            for n in names where n.hasPrefix("keyring.corrupt-") {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(n))
            }
        }
    }

    func testTokenExpiredBetweenTwoCalls() throws {
        let session = try SecretServiceSession.start(.unlocked)
        defer { session.stop() }
        let env = session.environment.merging(["SG_KEYRING": "secret-service"]) { $1 }
        let token = "fault-token-" + UUID().uuidString
        try Self.seed(session, Self.tokenJSON(token, expiresIn: 3600))
        let first = try sgToken(["get", "-p", "sim"], env: env)
        XCTAssertEqual(first.run.status, 0, first.run.stderrText)
        XCTAssertEqual(first.run.stdoutText, token + "\n")
        // Time passes: the same item now expires in 30 s (inside the 60 s margin) and has no refresh token.
        _ = try h.sim.post("/admin/expire-tokens")
        try Self.seed(session, Self.tokenJSON(token, expiresIn: 30))
        let second = try sgToken(["get", "-p", "sim"], env: env)
        XCTAssertEqual(second.run.status, 77, second.run.stderrText)
        XCTAssertEqual(stderrLines(second.run).count, 1, second.run.stderrText)
        XCTAssertTrue(second.run.stderrText.contains("sg-token login -p sim"), second.run.stderrText)
        XCTAssertFalse(second.run.stdoutText.contains(token), "an expired token is never printed")

        // A profile with an unattended login (client certificate) renews instead, for sg-token and sg:token/cert.
        let config = try h.config()
        var e = env
        e["SG_CONFIG"] = config
        for tool in [["sg-token", "get", "-p", "cert"], ["sg-secret", "sg:token/cert"]] {
            let stale = "stale-token-" + UUID().uuidString
            try Self.seed(session, Self.tokenJSON(stale, expiresIn: 30), service: "sg-safeguard-certificate", account: "cert")
            let t0 = Date()
            let r = try ToolRunner.run(TestPaths.binary(tool[0]), Array(tool.dropFirst()), environment: e, timeout: 40)
            XCTAssertEqual(r.status, 0, "\(tool): \(r.stderrText)")
            XCTAssertFalse(r.stdoutText.contains(stale), "\(tool): the stale token is not used")
            XCTAssertGreaterThan(r.stdout.count, 8, "\(tool): a fresh token")
            XCTAssertLessThan(Date().timeIntervalSince(t0), 30)
            let stored = try session.run(["secret-tool", "lookup", "service", "sg-safeguard-certificate", "username", "cert"])
            XCTAssertFalse(stored.stdout.contains(stale), "\(tool): the renewed token replaced the stale one in the cache")
        }
    }

    func testTwentyConcurrentReadersLoseNothing() throws {
        let session = try SecretServiceSession.start(.unlocked)
        defer { session.stop() }
        let env = session.environment.merging(["SG_KEYRING": "secret-service"]) { $1 }
        let token = "concurrent-token-" + UUID().uuidString
        try Self.seed(session, Self.tokenJSON(token, expiresIn: 3600))
        let binary = TestPaths.binary("sg-token")
        var e = env
        e["SG_CONFIG"] = h.ready.config
        let environment = e
        let outs = parallelRuns(20) { () -> FaultHarness.Timed? in
            let t0 = Date()
            guard let r = try? ToolRunner.run(binary, ["get", "-p", "sim"], environment: environment, timeout: 60) else { return nil }
            return FaultHarness.Timed(run: r, seconds: Date().timeIntervalSince(t0))
        }
        for (i, t) in outs.enumerated() {
            XCTAssertEqual(t?.run.status, 0, "run \(i): \(t?.run.stderrText ?? "hung")")
            XCTAssertEqual(t?.run.stdoutText, token + "\n", "run \(i)")
        }
        let after = try session.run(["secret-tool", "lookup", "service", "sg-safeguard-alice", "username", "sim"])
        XCTAssertTrue(after.stdout.contains(token), "the cache entry is still there")
    }
}
