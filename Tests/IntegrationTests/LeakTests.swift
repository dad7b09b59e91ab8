import Foundation
import SGTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The cross-tool no-leak test (docs/reliability.md): every tool, over success and failure paths,
/// with `SG_LOG=debug`. No seeded secret value or API key may appear in stdout/stderr (except the
/// answer a tool exists to print), in any file a tool wrote under the test HOME, state and runtime
/// folders, or in the argv/environment of a child (sg-exec's, through `LeakCheck.childProbe`).
/// Files holding secrets must be 0600 and their folders 0700.
final class LeakTests: HarnessCase {
    var check: LeakCheck!
    var home: URL!
    var started: Date!

    override func setUpWithError() throws {
        try super.setUpWithError()
        check = LeakCheck(simulator: h.ready)
        home = try h.home(self)
        started = Date()
    }

    override func tearDownWithError() throws {
        guard let home, let check, let started else { return }
        // Whatever the test ran: nothing secret in any file under HOME (state, runtime, cache folders).
        XCTAssertEqual(check.checkFiles(under: home, since: started.addingTimeInterval(-5)), [], "files written under HOME")
        XCTAssertEqual(Self.modeProblems(under: home.appendingPathComponent(".local/state/sg")), [])
        XCTAssertEqual(Self.modeProblems(under: home.appendingPathComponent("run/sg")), [])
        try super.tearDownWithError()
    }

    /// Files not 0600 (or stricter) and folders not 0700 under `dir` (nothing if it does not exist).
    static func modeProblems(under dir: URL) -> [String] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: dir.path) else { return [] }
        var problems: [String] = []
        func mode(_ p: String) -> Int { ((try? fm.attributesOfItem(atPath: p)[.posixPermissions]) as? NSNumber)?.intValue ?? 0 }
        if mode(dir.path) & 0o077 != 0 { problems.append("\(dir.path): folder mode \(String(mode(dir.path), radix: 8))") }
        for case let sub as String in fm.enumerator(atPath: dir.path) ?? FileManager.DirectoryEnumerator() {
            let p = dir.appendingPathComponent(sub).path
            var isDir: ObjCBool = false
            fm.fileExists(atPath: p, isDirectory: &isDir)
            if mode(p) & 0o077 != 0 { problems.append("\(p): mode \(String(mode(p), radix: 8)), want \(isDir.boolValue ? "0700" : "0600")") }
        }
        return problems
    }

    func env(config: String? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        var e = ToolRunner.environment(home: home, ["SG_CONFIG": config ?? h.ready.config, "SG_LOG": "debug", "SG_KEYRING": "file"])
        for (k, v) in extra { e[k] = v }
        return e
    }

    /// Runs a tool and asserts nothing leaked; `answers` are the values its stdout may carry.
    @discardableResult
    func run(_ tool: String, _ args: [String], env: [String: String]? = nil, stdin: Data? = nil, answers: [String] = [],
             file: StaticString = #filePath, line: UInt = #line) throws -> ToolRun {
        let r = try ToolRunner.run(TestPaths.binary(tool), args, environment: env ?? self.env(), stdin: stdin, timeout: 60)
        XCTAssertEqual(check.check(r, answers: answers.map { Data($0.utf8) }), [], "\(tool) \(args.joined(separator: " "))",
                       file: file, line: line)
        return r
    }

    func pw(_ name: String) -> String { h.ready.passwords[name]! }

    // MARK: sg-secret

    func testSGSecretSuccessPaths() throws {
        for name in h.ready.passwords.keys.sorted() where !name.hasPrefix("bulk-") || name == "bulk-01" {
            let r = try run("sg-secret", ["sg:\(name)"], answers: [pw(name)])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderrText)")
            XCTAssertTrue(r.stderrText.contains(name) || r.stderrText.isEmpty, "debug log names the secret, not the value")
        }
        let fields = try run("sg-secret", ["sg:api-ci#ClientId"], answers: ["ci-client-1"])
        XCTAssertEqual(fields.status, 0, fields.stderrText)
        // summon stream mode: base64 values, still no API key anywhere.
        let stream = try run("sg-secret", [], stdin: Data("demo-db\ngit-team\n".utf8))
        XCTAssertEqual(stream.status, 0, stream.stderrText)
    }

    func testSGSecretFailurePaths() throws {
        XCTAssertEqual(try run("sg-secret", ["sg:no-such-secret"]).status, 67)
        XCTAssertEqual(try run("sg-secret", ["sg:demo-db#NoSuchField"]).status != 0, true)

        try h.sim.admin("/admin/a2a", json: ["enabled": false])
        XCTAssertEqual(try run("sg-secret", ["sg:demo-db"]).status, 69)
        try h.sim.admin("/admin/a2a", json: ["enabled": true])

        let quick = try h.config(timeouts: (connect: 1, total: 3))
        try h.fault(["status": 503, "count": 50, "retryAfter": 1, "path": "/service/a2a"])
        XCTAssertEqual(try run("sg-secret", ["sg:demo-db"], env: env(config: quick)).status, 75)
        _ = try h.sim.post("/admin/clear")
        try h.fault(["status": 500, "count": 50, "path": "/service/a2a"])
        XCTAssertNotEqual(try run("sg-secret", ["sg:demo-db"], env: env(config: quick)).status, 0)
        _ = try h.sim.post("/admin/clear")
        try h.fault(["reset": true, "count": 50, "path": "/service/a2a"])
        XCTAssertNotEqual(try run("sg-secret", ["sg:demo-db"], env: env(config: quick)).status, 0)
        _ = try h.sim.post("/admin/clear")

        let rogue = try h.config(client: (h.ready.rogueCert, h.ready.rogueKey))
        XCTAssertEqual(try run("sg-secret", ["sg:demo-db"], env: env(config: rogue)).status, 77)
        let wrongCA = try h.config(ca: h.ready.otherCA)
        XCTAssertEqual(try run("sg-secret", ["sg:demo-db"], env: env(config: wrongCA)).status, 78)
        let down = try h.config(appliances: ["127.0.0.1:\(FaultHarness.deadPort())"], timeouts: (connect: 1, total: 2))
        XCTAssertEqual(try run("sg-secret", ["sg:demo-db"], env: env(config: down)).status, 69)

        // A wrong API key: 403, and the key is not printed. (Another secret's key is not wrong: A2A keys
        // pick the account, so it would answer that secret.)
        let wrong = h.stateDir.appendingPathComponent("leak-wrong-key-\(UUID().uuidString.prefix(6))")
        let wrongKey = "wrong-" + UUID().uuidString
        FileManager.default.createFile(atPath: wrong.path, contents: Data((wrongKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
        check = LeakCheck(needles: check.needles.map { ($0.label, String(decoding: $0.value, as: UTF8.self)) } + [("wrong API key", wrongKey)])
        var text = try String(contentsOfFile: try h.config(), encoding: .utf8)
        text = text.replacingOccurrences(of: "apikeys/demo-db", with: wrong.path)
        let swapped = h.stateDir.appendingPathComponent("leak-swapped-\(UUID().uuidString.prefix(6)).yaml")
        FileManager.default.createFile(atPath: swapped.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        let denied = try run("sg-secret", ["sg:demo-db"], env: env(config: swapped.path), answers: [])
        XCTAssertEqual(denied.status, 77, denied.stderrText)

        // An inline API key in a config that is group-readable: refused, and the key is not echoed.
        let inline = h.stateDir.appendingPathComponent("leak-inline-\(UUID().uuidString.prefix(6)).yaml")
        let key = h.ready.apiKeys["demo-db"]!
        text = try String(contentsOfFile: h.ready.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "{file: apikeys/demo-db}", with: "\"\(key)\"")
        FileManager.default.createFile(atPath: inline.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o640])
        let refused = try run("sg-secret", ["sg:demo-db"], env: env(config: inline.path))
        XCTAssertEqual(refused.status, 78, refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains("chmod"), refused.stderrText)
        try? FileManager.default.removeItem(at: inline)
    }

    // MARK: sg-exec

    /// The child's argv and environment, as the probe recorded them.
    func probe(_ file: URL) throws -> (argv: Data, env: Data) {
        let data = try Data(contentsOf: file)
        let sep = Data("\n--env--\n".utf8)
        guard let r = data.range(of: sep) else { return (data, Data()) }
        return (data[..<r.lowerBound], data[r.upperBound...])
    }

    func testSGExecChildGetsOnlyWhatItAskedFor() throws {
        let out = home.appendingPathComponent("probe")
        // demo-db's API key comes from an environment variable: the child must not inherit it.
        var text = try String(contentsOfFile: h.ready.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "{file: apikeys/demo-db}", with: "{env: SG_TEST_DEMO_KEY}")
        let config = h.stateDir.appendingPathComponent("leak-env-\(UUID().uuidString.prefix(6)).yaml")
        FileManager.default.createFile(atPath: config.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        let secrets = home.appendingPathComponent("secrets.yml")
        try "QUOTE: !var quote-pw\nKEYFILE: !var:file ssh-ed25519\nPLAIN: hello\n".write(to: secrets, atomically: true, encoding: .utf8)
        let names = ["demo-db", "unicode-pw", "big-pw"]
        var args: [String] = []
        for (i, n) in names.enumerated() { args += ["-e", "V\(i)=sg:\(n)"] }
        args += ["-e", "PGPASSWORD"]   // the inherited reference, opted in
        for mask in [false, true] {
            try? FileManager.default.removeItem(at: out)
            let r = try run("sg-exec", (mask ? ["--mask"] : []) + ["-f", secrets.path] + args + ["--", "/bin/sh", "-c", LeakCheck.childProbe(writingTo: out.path)],
                            env: env(config: config.path, ["SG_TEST_DEMO_KEY": h.ready.apiKeys["demo-db"]!, "PGPASSWORD": "sg:git-team"]))
            XCTAssertEqual(r.status, 0, r.stderrText)
            let (argv, childEnv) = try probe(out)
            XCTAssertEqual(check.leaks(in: argv), [], "child argv (mask: \(mask))")
            let injected = (names + ["quote-pw", "git-team"]).map { Data(pw($0).utf8) }
            XCTAssertEqual(check.leaks(in: childEnv, allowing: injected), [], "child environment beyond what it asked for (mask: \(mask))")
            XCTAssertNil(childEnv.range(of: Data("SG_TEST_DEMO_KEY=".utf8)), "the variable the config reads an API key from is not passed on")
        }
        try? FileManager.default.removeItem(at: config)
    }

    func testSGExecFailureStartsNoChild() throws {
        let out = home.appendingPathComponent("probe-fail")
        let r = try run("sg-exec", ["-e", "A=sg:demo-db", "-e", "B=sg:no-such-secret", "--", "/bin/sh", "-c", LeakCheck.childProbe(writingTo: out.path)])
        XCTAssertEqual(r.status, 67, r.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no child when a reference fails")
        try h.fault(["status": 503, "count": 50, "retryAfter": 1, "path": "/service/a2a"])
        let quick = try h.config(timeouts: (connect: 1, total: 2))
        let t = try run("sg-exec", ["-e", "A=sg:demo-db", "--", "/bin/true"], env: env(config: quick))
        XCTAssertEqual(t.status, 75, t.stderrText)
    }

    func testSGExecMaskHidesValuesInChildOutput() throws {
        let r = try run("sg-exec", ["--mask", "-e", "A=sg:demo-db", "--", "/bin/sh", "-c", #"echo "$A"; echo "$A" >&2"#])
        XCTAssertEqual(r.status, 0, r.stderrText)
    }

    // MARK: git-credential-sg

    func testGitCredentialHelper() throws {
        let mapped = Data("protocol=https\nhost=git.sim.example\npath=team/repo.git\n\n".utf8)
        let get = try run("git-credential-sg", ["get"], stdin: mapped, answers: [pw("git-team")])
        XCTAssertEqual(get.status, 0, get.stderrText)
        XCTAssertTrue(get.stdoutText.contains("password=\(pw("git-team"))"))
        // Served again (from the cache, if configured), erased, fetched again: the value only ever on stdout.
        XCTAssertEqual(try run("git-credential-sg", ["get"], stdin: mapped, answers: [pw("git-team")]).status, 0)
        XCTAssertEqual(try run("git-credential-sg", ["erase"], stdin: mapped).status, 0)
        XCTAssertEqual(try run("git-credential-sg", ["get"], stdin: mapped, answers: [pw("git-team")]).status, 0)
        // store for a mapped host never goes to the appliance; an unmapped host: nothing, exit 0.
        let stored = Data("protocol=https\nhost=git.sim.example\npath=team/repo.git\nusername=svc-git\npassword=\(pw("git-team"))\n\n".utf8)
        XCTAssertEqual(try run("git-credential-sg", ["store"], stdin: stored).status, 0)
        let unmapped = try run("git-credential-sg", ["get"], stdin: Data("protocol=https\nhost=elsewhere.example\n\n".utf8))
        XCTAssertEqual(unmapped.status, 0)
        XCTAssertTrue(unmapped.stdout.isEmpty)
        // Failures: A2A off, malformed input.
        try h.sim.admin("/admin/a2a", json: ["enabled": false])
        XCTAssertNotEqual(try run("git-credential-sg", ["get"], stdin: Data("protocol=https\nhost=git.sim.example\npath=other/x\n\n".utf8)).status, 0)
        try h.sim.admin("/admin/a2a", json: ["enabled": true])
        XCTAssertEqual(try run("git-credential-sg", ["get"], stdin: Data("no equals sign\n\n".utf8)).status, 65)
    }

    // MARK: sg-askpass, sg-ssh-key

    func testSSHTools() throws {
        let config = try h.config()   // adds ssh.passwords: dbadmin@*.sim.example -> demo-db
        let e = env(config: config)
        let answered = try run("sg-askpass", ["dbadmin@db.sim.example's password: "], env: e, answers: [pw("demo-db")])
        XCTAssertEqual(answered.status, 0, answered.stderrText)
        for prompt in ["nobody@db.sim.example's password: ", "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
                       "Bad passphrase, try again for /k: ", "Enter passphrase for key '/nope': "] {
            XCTAssertNotEqual(try run("sg-askpass", [prompt], env: e).status, 0, prompt)
        }
        for args in [["public", "ssh-rsa-pass"], ["public", "--fingerprint", "ssh-ed25519"], ["print", "ssh-rsa-pass"],
                     ["print", "ssh-ecdsa"], ["print", "no-such-key"], ["print", "demo-db"]] {
            try run("sg-ssh-key", args, env: e)
        }
        let out = home.appendingPathComponent("id_leak").path
        XCTAssertEqual(try run("sg-ssh-key", ["fetch", "ssh-rsa-pass", "-o", out], env: e).status, 0)
        let mode = ((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions]) as? NSNumber)?.intValue ?? 0
        XCTAssertEqual(mode & 0o077, 0, "private key file 0600")
        try h.sim.admin("/admin/a2a", json: ["enabled": false])
        XCTAssertEqual(try run("sg-ssh-key", ["print", "ssh-rsa-pass"], env: e).status, 69)
        XCTAssertNotEqual(try run("sg-askpass", ["dbadmin@db.sim.example's password: "], env: e).status, 0)
    }

    // MARK: sg-token

    func testSGTokenNeverPrintsTokensOutsideGet() throws {
        let session = try SecretServiceSession.start(.unlocked)
        defer { session.stop() }
        let token = "leak-token-" + UUID().uuidString
        try KeyringFaultTests.seed(session, KeyringFaultTests.tokenJSON(token, expiresIn: 3600))
        let tokenCheck = LeakCheck(needles: check.needles.map { ($0.label, String(decoding: $0.value, as: UTF8.self)) } + [("cached token", token)])
        var e = session.environment
        e["SG_CONFIG"] = h.ready.config
        e["SG_LOG"] = "debug"
        e["SG_KEYRING"] = "secret-service"
        for args in [["status"], ["status", "--json"], ["list"], ["list", "--json"], ["status", "-p", "sim"], ["get", "-p", "sim-ark"]] {
            let r = try ToolRunner.run(TestPaths.binary("sg-token"), args, environment: e, timeout: 60)
            XCTAssertEqual(tokenCheck.check(r), [], "sg-token \(args.joined(separator: " "))")
        }
        let get = try ToolRunner.run(TestPaths.binary("sg-token"), ["get", "-p", "sim"], environment: e, timeout: 60)
        XCTAssertEqual(get.status, 0, get.stderrText)
        XCTAssertEqual(tokenCheck.check(get, answers: [Data(token.utf8)]), [])
        XCTAssertEqual(tokenCheck.checkFiles(under: URL(fileURLWithPath: session.home), since: started), [])
        // The file backend (no bus): status/list/clear leave only private files behind.
        for args in [["status"], ["list"], ["clear", "--all"], ["get", "-p", "sim"]] {
            try run("sg-token", args)
        }
    }
}
