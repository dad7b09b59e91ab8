import Foundation
import SGTestSupport
import XCTest

/// Fault injection, rotation, the A2A switch, connection counting and the request log.
final class FaultTests: SimTestCase {
    private func demo() throws -> CurlResult {
        try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "Credentials?type=Password")
    }

    func testStatusFaultWithRetryAfterOnlyOnMatchingPaths() throws {
        let r = try simulator.admin("/admin/fault", json: ["status": 503, "count": 2, "retryAfter": 1, "path": "/service/a2a"])
        XCTAssertEqual(r.status, 200)
        let providers = try Curl.run(["-s", "--cacert", sim.ca, "\(sim.baseURL)/service/core/v4/AuthenticationProviders"])
        XCTAssertEqual(providers.status, 200, "other paths are not faulted")
        for _ in 0..<2 {
            let f = try demo()
            XCTAssertEqual(f.status, 503)
            XCTAssertEqual(f.header("Retry-After"), "1")
        }
        XCTAssertEqual(try demo().status, 200)
    }

    func testClearDropsQueuedFaults() throws {
        try simulator.admin("/admin/fault", json: ["status": 500, "count": 5])
        try simulator.post("/admin/clear")
        XCTAssertEqual(try demo().status, 200)
    }

    func testDelay() throws {
        try simulator.admin("/admin/fault", json: ["delayMs": 1500, "count": 1])
        let t0 = Date()
        let r = try demo()
        XCTAssertEqual(r.status, 200)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 1.4)
        let t1 = Date()
        _ = try demo()
        XCTAssertLessThan(Date().timeIntervalSince(t1), 1.4)
    }

    func testResetClosesMidResponse() throws {
        try simulator.admin("/admin/fault", json: ["reset": true, "count": 1])
        let r = try Curl.a2a(sim, key: sim.apiKeys["big-pw"], "Credentials?type=Password")
        XCTAssertNotEqual(r.exit, 0, "curl notices the truncated body")
        XCTAssertLessThan(r.body.count, 4096)
        XCTAssertEqual(try demo().status, 200)
    }

    /// `certAbort`: a rejected client certificate ends in a TCP reset, never the TLS alert, for
    /// `count` rejections; a trusted certificate is served as usual meanwhile.
    func testCertAbortResetsInsteadOfTheAlert() throws {
        try simulator.admin("/admin/fault", json: ["certAbort": true, "count": 3])
        XCTAssertEqual(try demo().status, 200, "a trusted certificate is not affected")
        for _ in 0..<3 {
            let r = try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "Credentials?type=Password", rogue: true, extra: ["--tlsv1.3"])
            XCTAssertTrue([55, 56].contains(r.exit), "send/receive failure, got \(r.exit): \(r.stderr)")
            XCTAssertFalse(r.stderr.lowercased().contains("alert"), r.stderr)
        }
        // The fault is used up: the usual alert again.
        let r = try Curl.a2a(sim, key: sim.apiKeys["demo-db"], "Credentials?type=Password", rogue: true, extra: ["--tls-max", "1.2"])
        XCTAssertNotEqual(r.exit, 0)
        XCTAssertTrue(r.stderr.lowercased().contains("alert"), r.stderr)
    }

    func testRotateChangesThePasswordAndDoesNotRevealIt() throws {
        let key = sim.apiKeys["rotating-pw"]
        let before = try XCTUnwrap(try Curl.a2a(sim, key: key, "Credentials?type=Password").json as? String)
        let r = try simulator.admin("/admin/rotate", json: ["secret": "rotating-pw"])
        XCTAssertEqual(r.status, 200)
        let after = try XCTUnwrap(try Curl.a2a(sim, key: key, "Credentials?type=Password").json as? String)
        XCTAssertNotEqual(before, after)
        XCTAssertFalse(String(decoding: r.body, as: UTF8.self).contains(after))
    }

    func testA2ADisabledAnswers503() throws {
        try simulator.admin("/admin/a2a", json: ["enabled": false])
        let r = try demo()
        XCTAssertEqual(r.status, 503)
        XCTAssertTrue((r.object["Message"] as? String ?? "").contains("A2A service is not running"))
        XCTAssertNotNil(r.object["Code"] as? Int)
        try simulator.admin("/admin/a2a", json: ["enabled": true])
        XCTAssertEqual(try demo().status, 200)
    }

    func testApplianceA2AServiceEndpoints() throws {
        let login = try Curl.postJSON("\(sim.baseURL)/RSTS/oauth2/token", sim,
                                      ["grant_type": "password", "username": "alice", "password": sim.users.rsts["alice"]!.password,
                                       "scope": "rsts:sts:primaryproviderid:local"])
        let sts = try XCTUnwrap(login.object["access_token"] as? String)
        let user = try XCTUnwrap(try Curl.postJSON("\(sim.baseURL)/service/core/v4/Token/LoginResponse", sim,
                                                   ["StsAccessToken": sts]).object["UserToken"] as? String)
        func call(_ verb: String) throws -> CurlResult {
            try Curl.run(["-s", "--cacert", sim.ca, "-X", verb == "Status" ? "GET" : "POST", "-H", "Authorization: Bearer \(user)",
                          "\(sim.baseURL)/service/appliance/v4/A2AService/\(verb)"])
        }
        XCTAssertEqual(try call("Disable").object["IsRunning"] as? Bool, false)
        XCTAssertEqual(try demo().status, 503)
        XCTAssertEqual(try call("Status").object["IsRunning"] as? Bool, false)
        XCTAssertEqual(try call("Enable").object["IsRunning"] as? Bool, true)
        XCTAssertEqual(try demo().status, 200)
    }

    func testTwoURLsInOneCurlShareOneConnection() throws {
        try simulator.post("/admin/reset-log")
        let url = "\(sim.baseURL)/service/a2a/v4/Credentials?type=Password"
        let r = try Curl.run(["-s", "-S", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1",
                              "-H", "Authorization: A2A \(sim.apiKeys["demo-db"]!)", url, url])
        XCTAssertEqual(r.exit, 0, r.stderr)
        XCTAssertEqual(try simulator.stats(), SimStats(connections: 1, requests: 2, logins: 0))
        let log = try simulator.log()
        XCTAssertEqual(log.count, 2)
        XCTAssertEqual(log[0].conn, log[1].conn)
        XCTAssertEqual(log[0], SimLogEntry(method: "GET", path: "/service/a2a/v4/Credentials?type=Password", auth: "a2a",
                                           cert: "sg-client", conn: log[0].conn, status: 200))
        _ = try demo()
        XCTAssertEqual(try simulator.stats().connections, 2)
    }

    func testLogNeverHoldsASecret() throws {
        for name in ["demo-db", "unicode-pw", "quote-pw"] {
            _ = try Curl.a2a(sim, key: sim.apiKeys[name], "Credentials?type=Password")
        }
        _ = try Curl.postJSON("\(sim.baseURL)/RSTS/oauth2/token", sim,
                              ["grant_type": "password", "username": "alice", "password": sim.users.rsts["alice"]!.password,
                               "scope": "rsts:sts:primaryproviderid:local"])
        let text = String(decoding: try simulator.admin("/admin/log").body, as: UTF8.self)
        XCTAssertTrue(text.contains("Credentials"))
        for secret in Array(sim.apiKeys.values) + Array(sim.passwords.values) + [sim.users.rsts["alice"]!.password] {
            XCTAssertFalse(text.contains(secret))
            XCTAssertFalse(text.contains(String(data: try JSONSerialization.data(withJSONObject: secret, options: .fragmentsAllowed), encoding: .utf8)!.dropFirst().dropLast()))
        }
        XCTAssertGreaterThanOrEqual(try simulator.stats().logins, 1)
    }
}

/// `--tls12-only` caps the listener at TLS 1.2.
final class TLS12OnlyTests: SimTestCase {
    override class var simFlags: [String] { ["--tls12-only"] }

    func testTLS13IsRefusedAndTLS12Works() throws {
        let base = ["-s", "-S", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1",
                    "-H", "Authorization: A2A \(sim.apiKeys["demo-db"]!)"]
        let url = "\(sim.baseURL)/service/a2a/v4/Credentials?type=Password"
        XCTAssertNotEqual(try Curl.run(base + ["--tlsv1.3", url]).exit, 0)
        let ok = try Curl.run(base + ["--tls-max", "1.2", url])
        XCTAssertEqual(ok.status, 200, ok.stderr)
        XCTAssertEqual(ok.json as? String, sim.passwords["demo-db"])
    }
}

/// Start-up, restart and shutdown.
final class LifecycleTests: XCTestCase {
    func testReadyFilesAndCleanShutdown() throws {
        let sim = try Simulator()
        let r = sim.ready
        for path in [r.config, r.ca, r.clientCert, r.clientKey, r.clientKeyEncrypted, r.clientP12, r.clientP12Legacy,
                     r.rogueCert, r.rogueKey, r.otherCA, r.stateDir + "/ready.json"] {
            XCTAssertTrue(path.hasPrefix("/"), path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
        }
        for path in [r.config, r.clientKey, r.stateDir + "/ready.json", r.stateDir + "/apikeys/demo-db"] {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            XCTAssertEqual(mode & 0o077, 0, path)
        }
        let stateMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: r.stateDir)[.posixPermissions] as? Int)
        XCTAssertEqual(stateMode, 0o700)
        let config = try String(contentsOfFile: r.config, encoding: .utf8)
        XCTAssertTrue(config.contains("version: 1"))
        XCTAssertTrue(config.contains("127.0.0.1:\(r.port)"))
        XCTAssertTrue(config.contains("kind: cyberark-identity"))
        XCTAssertTrue(config.contains("api-key: {file: apikeys/demo-db}"))
        XCTAssertFalse(config.contains(r.apiKeys["demo-db"]!), "keys live in files, not the config")
        XCTAssertEqual(try String(contentsOfFile: r.stateDir + "/apikeys/demo-db", encoding: .utf8), r.apiKeys["demo-db"]! + "\n")
        XCTAssertEqual(r.apiKeys.count, 65)  // 64 secrets + the broker key
        sim.stop()
        XCTAssertEqual(sim.exitStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: r.stateDir))
    }

    func testRestartReusesPKIAndKeys() throws {
        let dir = try TestPaths.makeTempDir("restart")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state")
        let first = try Simulator(state: state)
        let keys = first.ready.apiKeys
        let ca = try Data(contentsOf: URL(fileURLWithPath: first.ready.ca))
        first.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: state.appendingPathComponent("ready.json").path), "ready.json removed on exit")
        let t0 = Date()
        let second = try Simulator(state: state)
        defer { second.stop() }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10)
        XCTAssertEqual(second.ready.apiKeys, keys)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: second.ready.ca)), ca)
        XCTAssertNotEqual(second.ready.pid, first.ready.pid)
        let r = try Curl.a2a(second.ready, key: keys["demo-db"], "Credentials?type=Password")
        XCTAssertEqual(r.json as? String, second.ready.passwords["demo-db"])
    }
}
