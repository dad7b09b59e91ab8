import Foundation
import SGTestSupport
import XCTest

/// sg-watch against sg-sim: rotations reach the handler through A2A events, the stream comes back
/// after the appliance restarts, polling takes over when the hub is off, and the new value never
/// appears anywhere but the handler's stdin.
final class SGWatchTests: XCTestCase {
    var sim: Simulator!
    var env: ToolEnvironment!
    var out: URL!
    var watch: Process?
    var errURL: URL!

    override func setUpWithError() throws {
        sim = try Simulator()
        try makeEnvironment()
    }

    func makeEnvironment() throws {
        env = try ToolEnvironment(sim: sim, label: "sgwatch")
        out = env.home.appendingPathComponent("handler", isDirectory: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    }

    override func tearDown() {
        stopWatch()
        sim?.stop()
        env = nil
    }

    /// The sim's config plus a `watch:` section with test-sized intervals.
    func writeConfig(watch: String, transform: (String) -> String = { $0 }) throws {
        let original = transform(try String(contentsOfFile: sim.ready.config, encoding: .utf8))
        let dir = (sim.ready.config as NSString).deletingLastPathComponent
        let path = dir + "/watch-config.yaml"
        FileManager.default.createFile(atPath: path, contents: Data((original + "\nwatch:\n" + watch + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        env.extra["SG_CONFIG"] = path
    }

    /// The handler: the value from stdin into `value` (atomically), its reference, environment and
    /// argv beside it, one line per run in `runs`.
    func handlerScript() throws -> String {
        let path = env.home.appendingPathComponent("handler.sh").path
        let script = """
        #!/bin/sh
        cat > "$1/value.tmp" && mv "$1/value.tmp" "$1/value"
        echo "$SG_WATCH_REF" >> "$1/runs"
        env >> "$1/env"
        tr '\\0' ' ' < /proc/$$/cmdline >> "$1/argv"; echo >> "$1/argv"
        exit "${HANDLER_EXIT:-0}"
        """
        FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700])
        return path
    }

    func startWatch(_ refs: [String]) throws {
        try startTool("sg-watch", refs + ["--", try handlerScript(), out.path])
    }

    /// Starts a long-running tool (stderr to `errURL`), stopped by tearDown.
    /// `shell`: a `sh -c` script that ends by exec'ing the tool (`exec "$0" "$@"`).
    func startTool(_ tool: String, _ args: [String], stdout: URL? = nil, shell: String? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: shell == nil ? TestPaths.binary(tool) : "/bin/sh")
        p.arguments = shell.map { ["-c", $0, TestPaths.binary(tool)] + args } ?? args
        p.environment = env.environment
        errURL = env.home.appendingPathComponent("watch.stderr")
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try TestPaths.output(to: stdout)
        p.standardError = try TestPaths.output(to: errURL)
        try p.run()
        watch = p
    }

    func stopWatch() {
        guard let p = watch, p.isRunning else { return }
        p.terminate()
        let deadline = Date(timeIntervalSinceNow: 10)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }

    var stderrText: String { String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self) }
    var handlerValue: String? { (try? Data(contentsOf: out.appendingPathComponent("value"))).map { String(decoding: $0, as: UTF8.self) } }
    var runs: [String] {
        ((try? String(contentsOf: out.appendingPathComponent("runs"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The secret's current value, asked of the sim with sg-secret.
    func current(_ name: String) throws -> String {
        let r = try env.run(["sg-secret", "-n", "sg:\(name)"])
        XCTAssertEqual(r.status, 0, r.stderrText)
        return r.stdoutText
    }

    /// Waits (hang guard: `seconds`) until `condition` holds.
    func waitFor(_ what: String, seconds: Double = 30, _ condition: () throws -> Bool) rethrows {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \(what); sg-watch said:\n\(stderrText)")
    }

    func hub(_ body: [String: Any] = [:]) throws -> [String: Any] {
        let r = try sim.admin("/admin/hub", json: body)
        return (try JSONSerialization.jsonObject(with: r.body) as? [String: Any]) ?? [:]
    }

    func rotate(_ name: String) throws {
        let r = try sim.admin("/admin/rotate", json: ["secret": name])
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
    }

    // MARK: -

    func testRotationsReachTheHandlerByEventsAndTheLastValueWins() throws {
        // Polling once an hour: only the event stream can deliver these rotations in time.
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        let first = try current("rotating-pw")
        // sg's own secret-bearing variable must not reach the handler.
        env.extra["SG_KEYRING_PASSPHRASE"] = "keyring-passphrase-for-the-test"
        try startWatch(["sg:rotating-pw"])
        try waitFor("the first value") { handlerValue == first }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        for _ in 0..<5 { try rotate("rotating-pw") }
        let last = try current("rotating-pw")
        XCTAssertNotEqual(last, first)
        try waitFor("the last rotated value") { handlerValue == last }
        XCTAssertGreaterThanOrEqual(try hub()["eventsSent"] as? Int ?? 0, 5)
        XCTAssertTrue(runs.allSatisfy { $0 == "sg:rotating-pw" }, "\(runs)")
        // sg-watch's lines reach its stderr file on their own schedule: wait for them, not for luck.
        try waitFor("the connected line") { stderrText.contains("connected to the A2A event hub") }
        try waitFor("the event line") { stderrText.contains("event AssetAccountPasswordUpdated") }

        // Never in argv, the handler's environment or sg-watch's stderr.
        let leak = LeakCheck(needles: [("first value", first), ("last value", last)])
        for file in ["env", "argv"] {
            let data = try Data(contentsOf: out.appendingPathComponent(file))
            XCTAssertEqual(leak.leaks(in: data), [], file)
        }
        XCTAssertEqual(leak.leaks(in: Data(stderrText.utf8)), [])
        XCTAssertEqual(LeakCheck(simulator: sim.ready).leaks(in: Data(stderrText.utf8)), [])
        let envText = try String(contentsOf: out.appendingPathComponent("env"), encoding: .utf8)
        XCTAssertTrue(envText.contains("SG_WATCH_REF=sg:rotating-pw"), envText)
        XCTAssertFalse(envText.contains("keyring-passphrase-for-the-test"))
    }

    func testTheStreamComesBackAfterARestartAndSeesARotationMadeWhileItWasAway() throws {
        // A sim of our own with a state folder and ports that survive its restart.
        sim.stop()
        let dir = try TestPaths.makeTempDir("watch-restart")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state")
        let ports = [LoopbackPort.unused(), LoopbackPort.unused(), LoopbackPort.unused()]
        let flags = ["--port", "\(ports[0])", "--identity-port", "\(ports[1])", "--admin-port", "\(ports[2])"]
        sim = try Simulator(flags: flags, state: state)
        try makeEnvironment()
        // The first reconnect waits 4-5 s: long enough to rotate before sg-watch is back.
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 1\n  reconnect-min: 4\n  reconnect-max: 5")
        let first = try current("rotating-pw")
        try startWatch(["sg:rotating-pw"])
        try waitFor("the first value") { handlerValue == first }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        // The handshake is followed by a re-check of every watched secret. Stopping the sim while
        // that fetch is in flight lets the transport's retry reach the restarted sim and find the
        // rotated value without a reconnect, which is not what this test is about: wait for it.
        try waitFor("the re-check after the handshake") {
            try sim.log().filter { $0.path.lowercased().contains("/a2a/v4/credentials") }.count >= 2
        }

        sim.stop()
        try waitFor("the loss to be noticed") { stderrText.contains("event stream lost") }
        sim = try Simulator(flags: flags, state: state)
        try rotate("rotating-pw")
        // Nobody was connected to hear about it: only the re-check after the reconnect can find it.
        XCTAssertEqual(try hub()["eventsSent"] as? Int, 0)
        let rotated = try current("rotating-pw")
        XCTAssertNotEqual(rotated, first)
        try waitFor("the value rotated while sg-watch was away") { handlerValue == rotated }
        XCTAssertEqual(try hub()["handshaken"] as? Int, 1)
    }

    func testPollingTakesOverWhenTheHubIsOff() throws {
        _ = try hub(["enabled": false])
        try writeConfig(watch: "  poll: 1\n  ping-interval: 1\n  reconnect-min: 0.2\n  reconnect-max: 1")
        let first = try current("rotating-pw")
        try startWatch(["sg:rotating-pw"])
        try waitFor("the first value") { handlerValue == first }
        try waitFor("the fallback to polling") { stderrText.contains("polling every 1 s") }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the polled value") { handlerValue == rotated }
        XCTAssertEqual(try hub()["negotiations"] as? Int, 0)
        // The hub is asked again at every poll, and the switch to polling is reported once.
        try waitFor("three refused negotiations") { try sim.log().filter { $0.path.lowercased().contains("/signalr/negotiate") }.count >= 3 }
        XCTAssertEqual(stderrText.components(separatedBy: "polling every").count - 1, 1, stderrText)
    }

    func testAStalledStreamIsReconnected() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 1\n  reconnect-min: 0.2\n  reconnect-max: 1")
        _ = try hub(["pingMs": 500])
        try startWatch(["sg:rotating-pw"])
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        let before = try hub()["negotiations"] as? Int ?? 0
        _ = try hub(["stall": true])
        try waitFor("the stall to be noticed") { stderrText.contains("no byte for 2 s") }
        _ = try hub(["stall": false])
        try waitFor("a new connection") {
            let state = try hub()
            return (state["negotiations"] as? Int ?? 0) > before && (state["handshaken"] as? Int ?? 0) >= 1
        }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the rotated value after the stall") { handlerValue == rotated }
    }

    func testNumericNamesReceiveMessageAndUnknownEvents() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        _ = try hub(["numericName": true, "target": "ReceiveMessage"])
        try startWatch(["sg:rotating-pw"])
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        _ = try hub(["send": "UserPasswordChanged"])
        try waitFor("the unknown event to be logged") { stderrText.contains("event UserPasswordChanged ignored") }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the rotated value") { handlerValue == rotated }
    }

    func testAFailingHandlerIsLoggedAndTheWatchGoesOn() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        env.extra["HANDLER_EXIT"] = "3"
        try startWatch(["sg:rotating-pw"])
        try waitFor("the first run") { runs.count == 1 }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the rotated value") { handlerValue == rotated }
        XCTAssertTrue(stderrText.contains("exited 3"), stderrText)
        XCTAssertTrue(watch?.isRunning ?? false)
        // SIGTERM ends the watch cleanly (hang guard: generous).
        watch?.terminate()
        try waitFor("sg-watch to exit on SIGTERM", seconds: 20) { !(watch?.isRunning ?? true) }
        XCTAssertEqual(watch?.terminationReason, .exit)
        XCTAssertEqual(watch?.terminationStatus, 0)
    }

    func testTheHandlerGetsTheUsersCoreLimitAndNoParentDeathSignal() throws {
        // A handler reloading a service is the user's own program: it is not killed with a dying
        // sg-watch, and it gets the core limit sg-watch started with, not the 0 sg set for itself.
        try writeConfig(watch: "  poll: 3600")
        let path = env.home.appendingPathComponent("probe.sh").path
        let script = """
        #!/bin/sh
        cat > /dev/null
        ulimit -S -c > "$1/core"
        exec /usr/bin/python3 -c 'import ctypes, sys; v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); open(sys.argv[1], "w").write(str(v.value))' "$1/pdeathsig"
        """
        FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700])
        try startTool("sg-watch", ["sg:demo-db", "--", path, out.path], shell: #"ulimit -S -c 2048; exec "$0" "$@""#)
        let pdeathsig = out.appendingPathComponent("pdeathsig")
        try waitFor("the handler's first run") { ((try? Data(contentsOf: pdeathsig)) ?? Data()).count > 0 }
        XCTAssertEqual(try String(contentsOf: pdeathsig, encoding: .utf8), "0")
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("core"), encoding: .utf8), "2048\n")
    }

    func testConfigurationErrorsExitAtOnce() throws {
        let script = try handlerScript()
        XCTAssertEqual(try env.run(["sg-watch", "sg:no-such-secret", "--", script]).status, 67)
        XCTAssertEqual(try env.run(["sg-watch", "sg:token/sim", "--", script]).status, 67)
        XCTAssertEqual(try env.run(["sg-watch", "sg:demo-db"]).status, 64)
        let missing = try env.run(["sg-watch", "sg:demo-db", "--", "no-such-handler-here"])
        XCTAssertEqual(missing.status, 64, missing.stderrText)
    }

    func testSSHKeyAddWatchSwapsTheRotatedKeyInTheAgent() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        let folder = env.home.appendingPathComponent("agent", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let agent = try SSHAgentFixture(folder: folder)
        defer { agent.stop() }
        env.extra["SSH_AUTH_SOCK"] = agent.socketPath
        func keysInAgent() throws -> [String] {
            let r = try env.run(["ssh-add", "-L"])
            return r.status == 0 ? r.stdoutText.split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") } : []
        }
        func servedKey() throws -> String {
            let r = try env.run(["sg-ssh-key", "public", "ssh-ed25519"])
            XCTAssertEqual(r.status, 0, r.stderrText)
            return r.stdoutText.split(separator: "\n").first.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } ?? ""
        }
        let first = try servedKey()
        try startTool("sg-ssh-key", ["add", "--watch", "ssh-ed25519", "-t", "600"])
        try waitFor("the key in the agent") { try keysInAgent() == [first] }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try rotate("ssh-ed25519")
        let rotated = try servedKey()
        XCTAssertNotEqual(rotated, first)
        try waitFor("the rotated key, alone, in the agent") { try keysInAgent() == [rotated] }
        XCTAssertTrue(stderrText.contains("replaced by"), stderrText)
    }

    // MARK: - sg-exec --restart-on-change / --signal-on-change

    /// A long-running child: writes the value it was given (env PW, or the file at $PWFILE on
    /// SIGHUP) to `value` and its pid to `pids`; `ignoreTerm` makes it ignore SIGTERM.
    func childScript(ignoreTerm: Bool = false) throws -> String {
        let path = env.home.appendingPathComponent("child.sh").path
        let script = """
        #!/bin/sh
        out="$1"
        save() { if [ -n "$PWFILE" ]; then cat "$PWFILE"; else printf '%s' "$PW"; fi > "$out/value.tmp" && mv "$out/value.tmp" "$out/value"; }
        \(ignoreTerm ? "trap '' TERM" : "trap 'exit 0' TERM")
        trap 'save' HUP
        save
        [ -n "$PRINT" ] && printf 'child %s has %s\\n' $$ "$PW"
        echo $$ >> "$out/pids"
        while :; do sleep 0.05; done
        """
        FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700])
        return path
    }

    var pids: [Int32] {
        ((try? String(contentsOf: out.appendingPathComponent("pids"), encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    func alive(_ pid: Int32) -> Bool {
        // A zombie still answers kill 0: look at its state.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    func testRestartOnChangeStartsANewChildWithTheNewValue() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        let first = try current("rotating-pw")
        try startTool("sg-exec", ["--restart-on-change", "-e", "PW=sg:rotating-pw", "--", try childScript(), out.path])
        try waitFor("the first child") { handlerValue == first && pids.count == 1 }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        let started = Date()
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the restarted child") { handlerValue == rotated && pids.count == 2 }
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        XCTAssertFalse(alive(pids[0]), "the old child was stopped")
        XCTAssertTrue(alive(pids[1]))
        XCTAssertTrue(stderrText.contains("restarted with the new values"), stderrText)
        XCTAssertEqual(LeakCheck(needles: [("first", first), ("rotated", rotated)]).leaks(in: Data(stderrText.utf8)), [])
        // The child ending on its own still ends sg-exec with its status.
        kill(pids[1], SIGTERM)
        try waitFor("sg-exec to end with its child") { !(watch?.isRunning ?? false) }
        XCTAssertEqual(watch?.terminationStatus, 0)
    }

    func testAChildThatIgnoresTheStopSignalIsKilledAfterTheGracePeriod() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        try startTool("sg-exec", ["--restart-on-change", "--grace", "1", "-e", "PW=sg:rotating-pw", "--",
                                  try childScript(ignoreTerm: true), out.path])
        try waitFor("the first child") { pids.count == 1 }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the replacement child") { handlerValue == rotated && pids.count == 2 }
        XCTAssertFalse(alive(pids[0]))
        XCTAssertTrue(stderrText.contains("did not stop within the grace period: SIGKILL"), stderrText)
        // It ignores SIGTERM: end it here, or it would outlive the test.
        kill(pids[1], SIGKILL)
        try waitFor("sg-exec to end with its child") { !(watch?.isRunning ?? false) }
        XCTAssertEqual(watch?.terminationStatus, 128 + SIGKILL)
    }

    func testSignalOnChangeRewritesTheFileThenSignals() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        let secrets = env.home.appendingPathComponent("secrets.yml")
        try "PWFILE: !var:file rotating-pw\n".write(to: secrets, atomically: true, encoding: .utf8)
        let first = try current("rotating-pw")
        try startTool("sg-exec", ["--signal-on-change", "HUP", "--tmpfs-files", "-f", secrets.path, "--", try childScript(), out.path])
        try waitFor("the child") { handlerValue == first && pids.count == 1 }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the rewritten file read on SIGHUP") { handlerValue == rotated }
        XCTAssertEqual(pids.count, 1, "the same child, signalled, not restarted")
        XCTAssertTrue(stderrText.contains("files rewritten"), stderrText)
    }

    func testSignalOnChangeWithASecretInTheEnvironmentIsAUsageError() throws {
        let child = try childScript()
        let inEnv = try env.run(["sg-exec", "--signal-on-change", "HUP", "--tmpfs-files", "-e", "PW=sg:rotating-pw", "--", child, out.path])
        XCTAssertEqual(inEnv.status, 64, inEnv.stderrText)
        let secrets = env.home.appendingPathComponent("secrets.yml")
        try "PWFILE: !var:file rotating-pw\n".write(to: secrets, atomically: true, encoding: .utf8)
        let memfd = try env.run(["sg-exec", "--signal-on-change", "HUP", "-f", secrets.path, "--", child, out.path])
        XCTAssertEqual(memfd.status, 64, memfd.stderrText)
        XCTAssertEqual(pids.count, 0, "no child was started")
    }

    func testAFailedRefetchKeepsTheOldChildAndIsTriedAgain() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 1\n  reconnect-max: 2")
        let first = try current("rotating-pw")
        try startTool("sg-exec", ["--restart-on-change", "-e", "PW=sg:rotating-pw", "-e", "OTHER=sg:demo-db", "--",
                                  try childScript(), out.path])
        try waitFor("the first child") { handlerValue == first && pids.count == 1 }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        // demo-db's API key file goes away: the re-fetch of every secret fails while it is gone.
        let keyFile = ((sim.ready.config as NSString).deletingLastPathComponent as NSString).appendingPathComponent("apikeys/demo-db")
        let hidden = keyFile + ".hidden"
        XCTAssertEqual(rename(keyFile, hidden), 0)
        try rotate("rotating-pw")
        try waitFor("the failed re-fetch") { stderrText.contains("the child keeps the old values") }
        XCTAssertEqual(pids.count, 1)
        XCTAssertTrue(alive(pids[0]), "the old child still runs")
        XCTAssertEqual(handlerValue, first)
        XCTAssertEqual(rename(hidden, keyFile), 0)
        let rotated = try current("rotating-pw")
        try waitFor("the restart once the re-fetch works") { handlerValue == rotated && pids.count == 2 }
    }

    // MARK: - sg-watch --git

    func gitGet() throws -> String? {
        let r = try env.run(["git-credential-sg", "get"], input: "protocol=https\nhost=git.sim.example\npath=team/repo.git\n\n")
        XCTAssertEqual(r.status, 0, r.stderrText)
        return r.stdoutText.split(separator: "\n").first { $0.hasPrefix("password=") }.map { String($0.dropFirst("password=".count)) }
    }

    func testGitModeDropsTheCachedPasswordWhenItRotates() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        let first = try current("git-team")
        XCTAssertEqual(try gitGet(), first)
        // Without sg-watch the cached copy outlives a rotation: that is what --git is for.
        try rotate("git-team")
        let second = try current("git-team")
        XCTAssertNotEqual(second, first)
        XCTAssertEqual(try gitGet(), first, "the session cache answers the old password")

        try startTool("sg-watch", ["--git"])
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try waitFor("the stale copy dropped at start") { try gitGet() == second }
        XCTAssertEqual(try gitGet(), second)
        try rotate("git-team")
        let third = try current("git-team")
        try waitFor("git's next answer to be the rotated password") { try gitGet() == third }
        XCTAssertTrue(stderrText.contains("cached git cop"), stderrText)
        XCTAssertEqual(LeakCheck(needles: [("first", first), ("second", second), ("third", third)]).leaks(in: Data(stderrText.utf8)), [])
    }

    func testTheStreamFailsOverToTheProfilesNextAppliance() throws {
        // The first appliance listed refuses connections; the stream and the fetches go to the second.
        let dead = LoopbackPort.unused()
        let live = "\"127.0.0.1:\(sim.ready.port)\""
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1") {
            $0.replacingOccurrences(of: "appliances: [\(live)]", with: "appliances: [\"127.0.0.1:\(dead)\", \(live)]")
        }
        XCTAssertTrue(try String(contentsOfFile: env.extra["SG_CONFIG"]!, encoding: .utf8).contains("127.0.0.1:\(dead)"))
        try startWatch(["sg:rotating-pw"])
        try waitFor("the hub connection on the second appliance") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the rotated value") { handlerValue == rotated }
        // The line is written after the handshake the sim counts: wait for it, do not read once.
        try waitFor("the connected line naming the second appliance") {
            stderrText.contains("connected to the A2A event hub at 127.0.0.1:\(sim.ready.port)")
        }
    }

    func testMaskConcealsTheOldAndTheNewValueAcrossARestart() throws {
        try writeConfig(watch: "  poll: 3600\n  ping-interval: 2\n  reconnect-min: 0.2\n  reconnect-max: 1")
        env.extra["PRINT"] = "1"
        _ = try hub(["pingMs": 1000])
        let first = try current("rotating-pw")
        let stdout = env.home.appendingPathComponent("exec.stdout")
        try startTool("sg-exec", ["--restart-on-change", "--mask", "-e", "PW=sg:rotating-pw", "--", try childScript(), out.path],
                      stdout: stdout)
        try waitFor("the first child") { handlerValue == first && pids.count == 1 }
        try waitFor("the hub connection") { (try hub()["handshaken"] as? Int ?? 0) == 1 }
        try rotate("rotating-pw")
        let rotated = try current("rotating-pw")
        try waitFor("the restarted child") { handlerValue == rotated && pids.count == 2 }
        try waitFor("both children's lines") {
            String(decoding: (try? Data(contentsOf: stdout)) ?? Data(), as: UTF8.self).components(separatedBy: "<concealed by sg>").count == 3
        }
        let printed = try Data(contentsOf: stdout)
        XCTAssertEqual(LeakCheck(needles: [("first", first), ("rotated", rotated)]).leaks(in: printed), [],
                       String(decoding: printed, as: UTF8.self))
    }
}
