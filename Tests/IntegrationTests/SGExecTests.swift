import Foundation
import SGTestSupport
import XCTest

/// sg-exec against a real sg-sim, running real children.
final class SGExecTests: XCTestCase {
    nonisolated(unsafe) static var shared: Simulator?
    var sim: Simulator { Self.shared! }
    var tmp: URL!

    override class func setUp() {
        super.setUp()
        shared = try? Simulator()
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        XCTAssertNotNil(Self.shared, "sg-sim did not start")
        tmp = try TestPaths.makeTempDir("exec")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    // MARK: helpers

    struct Run {
        let status: Int32
        let signalled: Bool
        let stdout: String
        let stderr: String
        let pid: Int32
    }

    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in env.keys where k.hasPrefix("SG_") || k == "XDG_RUNTIME_DIR" { env[k] = nil }
        env["SG_CONFIG"] = sim.ready.config
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["PATH"] = env["PATH"] ?? "/usr/bin:/bin"
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Starts sg-exec with stdout/stderr into files.
    func start(_ args: [String], env: [String: String] = [:], executable: String? = nil) throws -> (Process, URL, URL) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? TestPaths.binary("sg-exec"))
        p.arguments = args
        p.environment = environment(env)
        let out = tmp.appendingPathComponent("out-\(UUID().uuidString)")
        let err = tmp.appendingPathComponent("err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        return (p, out, err)
    }

    func finish(_ started: (Process, URL, URL)) -> Run {
        let (p, out, err) = started
        p.waitUntilExit()
        return Run(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                   stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "", pid: p.processIdentifier)
    }

    func exec(_ args: [String], env: [String: String] = [:]) throws -> Run {
        finish(try start(args, env: env))
    }

    func waitFor(_ url: URL, timeout: TimeInterval = 20) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let d = try? Data(contentsOf: url), !d.isEmpty { return true }
            usleep(20_000)
        }
        return false
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = tmp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func pw(_ name: String) -> String { sim.ready.passwords[name]! }

    /// A private folder on tmpfs to use as XDG_RUNTIME_DIR, so the test can see what sg-exec leaves.
    func runtimeDir() throws -> String {
        var template = Array("/dev/shm/sg-exec-test-XXXXXX".utf8CString)
        let made = try XCTUnwrap(mkdtemp(&template))
        let path = String(cString: made)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func contents(_ dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return ["<unreadable>"] }
        return e.allObjects.compactMap { $0 as? String }
    }

    // MARK: sources of variables

    func testInjectsFromDashE() throws {
        let r = try exec(["-e", "A=sg:demo-db", "-e", "B=sg:unicode-pw", "-e", "C=sg:quote-pw", "-e", "D=sg:big-pw", "-e", "E=demo-db",
                          "--", "/bin/sh", "-c", #"printf '%s\n%s\n%s\n%s\n%s' "$A" "$B" "$C" "$D" "$E""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, [pw("demo-db"), pw("unicode-pw"), pw("quote-pw"), pw("big-pw"), pw("demo-db")].joined(separator: "\n"))
    }

    /// The sim's config with `extra` appended (an `exec:` section), 0600 beside it.
    func config(appending extra: String) throws -> String {
        let text = try String(contentsOfFile: sim.ready.config, encoding: .utf8) + "\n" + extra
        let url = URL(fileURLWithPath: sim.ready.stateDir).appendingPathComponent("config-\(UUID().uuidString.prefix(8)).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o600)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testInheritedReferencesAreNotResolvedUnlessNamed() throws {
        // In CI, untrusted people choose some variable values (merge request titles).
        let script = #"printf '%s|%s|%s' "$CI_MERGE_REQUEST_TITLE" "$MISSING" "$A""#
        let r = try exec(["-e", "A=sg:bulk-01", "--", "/bin/sh", "-c", script],
                         env: ["CI_MERGE_REQUEST_TITLE": "sg:demo-db", "MISSING": "sg:nonexistent"])
        XCTAssertEqual(r.status, 0, "an unnamed sg:... value neither resolves nor blocks the job: \(r.stderr)")
        XCTAssertEqual(r.stdout, "sg:demo-db|sg:nonexistent|bulk-01-value")
        XCTAssertFalse(r.stdout.contains(pw("demo-db")))
    }

    func testBareDashEOptsInAnInheritedVariable() throws {
        let script = #"printf '%s|%s|%s|%s' "$PGPASSWORD" "$API" "$PLAIN" "$OTHER""#
        let r = try exec(["-e", "PGPASSWORD", "--env", "API", "-e", "PLAIN", "--", "/bin/sh", "-c", script],
                         env: ["PGPASSWORD": "sg:demo-db", "API": "sg:api-ci#ClientId", "PLAIN": "hello", "OTHER": "sg:demo-db"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(pw("demo-db"))|ci-client-1|hello|sg:demo-db", "named: resolved; not a reference: untouched; not named: untouched")

        let marker = tmp.appendingPathComponent("marker")
        let unset = try exec(["-e", "NOT_SET_ANYWHERE", "--", "/usr/bin/touch", marker.path])
        XCTAssertEqual(unset.status, 64, unset.stderr)
        XCTAssertTrue(unset.stderr.contains("NOT_SET_ANYWHERE is not set"), unset.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
        let bad = try exec(["-e", "=sg:demo-db", "--", "/usr/bin/touch", marker.path])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        let own = try exec(["-e", "SG_KEYRING_PASSPHRASE", "--", "/usr/bin/touch", marker.path], env: ["SG_KEYRING_PASSPHRASE": "sg:demo-db"])
        XCTAssertEqual(own.status, 64, "sg's own secret-bearing variables cannot be opted in: \(own.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
    }

    func testEnvAllResolvesEveryInheritedReference() throws {
        let r = try exec(["--env-all", "--", "/bin/sh", "-c", #"printf '%s|%s|%s' "$PGPASSWORD" "$API" "$PLAIN""#],
                         env: ["PGPASSWORD": "sg:demo-db", "API": "sg:api-ci#ClientId", "PLAIN": "hello"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(pw("demo-db"))|ci-client-1|hello")
        let failing = try exec(["--env-all", "--", "/bin/true"], env: ["X": "sg:nonexistent"])
        XCTAssertEqual(failing.status, 67, failing.stderr)
        XCTAssertTrue(failing.stderr.contains("X (sg:nonexistent, from environment)"), failing.stderr)
    }

    func testConfigExecEnvOptsInByExactName() throws {
        let config = try config(appending: "exec:\n  env: [PGPASSWORD]\n")
        let r = try exec(["--", "/bin/sh", "-c", #"printf '%s|%s' "$PGPASSWORD" "$PGPASSWORD2""#],
                         env: ["SG_CONFIG": config, "PGPASSWORD": "sg:demo-db", "PGPASSWORD2": "sg:demo-db"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(pw("demo-db"))|sg:demo-db", "exact names: PGPASSWORD2 is not PGPASSWORD")
        let absent = try exec(["--", "/bin/true"], env: ["SG_CONFIG": config])
        XCTAssertEqual(absent.status, 0, "a listed variable that is not set is no error: \(absent.stderr)")
        let glob = try exec(["--", "/bin/true"], env: ["SG_CONFIG": try self.config(appending: "exec:\n  env: [\"PG*\"]\n")])
        XCTAssertEqual(glob.status, 78, glob.stderr)
        XCTAssertTrue(glob.stderr.contains("exact names only"), glob.stderr)
    }

    func testExecReplacesItselfWhenNothingToCleanUp() throws {
        let r = try exec(["-e", "A=sg:demo-db", "--", "/bin/sh", "-c", "echo $$"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(r.pid)\n", "the child is sg-exec's own process (execve)")
        let m = try exec(["--mask", "-e", "A=sg:demo-db", "--", "/bin/sh", "-c", "echo $$"])
        XCTAssertNotEqual(m.stdout, "\(m.pid)\n", "with --mask sg-exec stays as the parent")
    }

    // MARK: summon's secrets.yml

    func testSummonFlatFileWithSubstitutionAndVarFile() throws {
        // summon README: AWS_* !var with $environment, a literal, and !var:file.
        let file = try write("secrets.yml", """
        DB_PASSWORD: !var $environment-db
        AWS_REGION: us-east-1
        SSH_KEY: !var:file ssh-ed25519
        LITERAL_FILE: !file |
          not secret
        PRICE: !str 5$$
        """)
        let r = try exec(["-f", file, "-D", "environment=demo", "--", "/bin/sh", "-c",
                          #"printf '%s|%s|%s|%s|' "$DB_PASSWORD" "$AWS_REGION" "$PRICE" "${SUMMON_ENV-unset}"; "#
                          + #"case "$SSH_KEY" in /dev/fd/*) echo memfd;; *) echo "path $SSH_KEY";; esac; cat "$SSH_KEY"; cat "$LITERAL_FILE""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.components(separatedBy: "\n")
        XCTAssertEqual(lines.first, "\(pw("demo-db"))|us-east-1|5$|unset|memfd")
        XCTAssertTrue(r.stdout.contains("-----BEGIN OPENSSH PRIVATE KEY-----"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("not secret\n"), r.stdout)

        let undeclared = try exec(["-f", file, "--", "/bin/true"])
        XCTAssertEqual(undeclared.status, 64)
        XCTAssertTrue(undeclared.stderr.contains("$environment is not defined"), undeclared.stderr)
    }

    func testSummonSectionsAndDefault() throws {
        // summon README: environments with a common section; !default='x'.
        let file = try write("secrets.yml", """
        common:
          DB_USER: db-user
          DB_HOST: db.myorg.com
        staging:
          DB_PASS: !var bulk-01
        production:
          DB_PASS: !var demo-db
          DB_HOST: prod.myorg.com
          ADMIN: !str:default='admin' ""
        """)
        let r = try exec(["-f", file, "--section", "production", "--", "/bin/sh", "-c",
                          #"printf '%s|%s|%s|%s|%s' "$DB_USER" "$DB_HOST" "$DB_PASS" "$ADMIN" "$SUMMON_ENV""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "db-user|prod.myorg.com|\(pw("demo-db"))|admin|production")
        let missing = try exec(["-f", file, "--section", "qa", "--", "/bin/true"])
        XCTAssertEqual(missing.status, 64, missing.stderr)
    }

    func testSummonEnvFileIsTmpfsAndRemoved() throws {
        let rt = try runtimeDir()
        let file = try write("secrets.yml", "DB_PASS: !var demo-db\nREGION: us east\n")
        let r = try exec(["-f", file, "--", "/bin/sh", "-c", #"f="${1#--env-file=}"; stat -c '%a %n' "$f"; cat "$f""#,
                          "sh", "--env-file=@SUMMONENVFILE"], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.components(separatedBy: "\n")
        XCTAssertTrue(lines[0].hasPrefix("600 \(rt)/sg-exec."), r.stdout)
        XCTAssertEqual(Array(lines[1...2]), ["DB_PASS=\(pw("demo-db"))", "REGION=\"us east\""])
        XCTAssertEqual(contents(rt), [], "the env file and its folder are gone")
    }

    // MARK: file secrets and clean-up

    func testTmpfsFilesRemovedAfterNormalExit() throws {
        let rt = try runtimeDir()
        let r = try exec(["--tmpfs-files", "-f", try write("s.yml", "KEY: !var:file ssh-ed25519\n"), "--", "/bin/sh", "-c",
                          #"stat -c %a "$KEY"; head -1 "$KEY""#], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "600\n-----BEGIN OPENSSH PRIVATE KEY-----\n")
        XCTAssertEqual(contents(rt), [])
    }

    func testFilesRemovedWhenSgExecIsTerminated() throws {
        let rt = try runtimeDir()
        let ready = tmp.appendingPathComponent("ready")
        let copy = tmp.appendingPathComponent("copy")
        let started = try start(["--tmpfs-files", "-f", try write("s.yml", "KEY: !var:file ssh-ed25519\n"), "--", "/bin/sh", "-c",
                                 #"cat "$KEY" > "$1"; echo "$KEY" > "$2"; exec sleep 30"#, "sh", copy.path, ready.path],
                                env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertTrue(waitFor(ready))
        let path = try String(contentsOf: ready, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(path.hasPrefix(rt), path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "present while the child runs")
        XCTAssertTrue(try String(contentsOf: copy, encoding: .utf8).hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----"))
        kill(started.0.processIdentifier, SIGTERM)
        let r = finish(started)
        XCTAssertEqual(r.status, 128 + SIGTERM, "the child got the SIGTERM and died of it")
        XCTAssertFalse(r.signalled)
        XCTAssertEqual(contents(rt), [])
    }

    func testFilesRemovedWhenChildIsKilled() throws {
        let rt = try runtimeDir()
        let pidFile = tmp.appendingPathComponent("pid")
        let started = try start(["--tmpfs-files", "-f", try write("s.yml", "KEY: !var:file demo-db\n"), "--", "/bin/sh", "-c",
                                 #"echo $$ > "$1"; exec sleep 30"#, "sh", pidFile.path], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertTrue(waitFor(pidFile))
        XCTAssertEqual(contents(rt).count, 3, "folder, its lock and the file exist while the child runs: \(contents(rt))")
        let child = try XCTUnwrap(Int32(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(child, SIGKILL)
        let r = finish(started)
        XCTAssertEqual(r.status, 128 + SIGKILL)
        XCTAssertEqual(contents(rt), [])
    }

    func testMemfdSurvivesAndNothingOnDisk() throws {
        let rt = try runtimeDir()
        let r = try exec(["-f", try write("s.yml", "KEY: !var:file demo-db\n"), "--", "/bin/sh", "-c",
                          #"readlink "$KEY"; cat "$KEY"; echo; cat "$KEY""#], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.components(separatedBy: "\n")
        XCTAssertTrue(lines[0].hasPrefix("/memfd:sg-exec:KEY"), r.stdout)
        XCTAssertEqual(Array(lines[1...2]), [pw("demo-db"), pw("demo-db")], "read twice: each open starts at 0")
        XCTAssertEqual(contents(rt), [], "memfds need no folder")
    }

    func testFolderOfAKilledSgExecIsSweptByTheNextRun() throws {
        let rt = try runtimeDir()
        let pidFile = tmp.appendingPathComponent("pid")
        let started = try start(["--tmpfs-files", "-f", try write("s.yml", "KEY: !var:file demo-db\n"), "--", "/bin/sh", "-c",
                                 #"echo $$ > "$1"; exec sleep 30"#, "sh", pidFile.path], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertTrue(waitFor(pidFile))
        let child = try XCTUnwrap(Int32(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(child, SIGKILL) }
        let folder = try XCTUnwrap(contents(rt).first { !$0.contains("/") })
        XCTAssertTrue(folder.hasPrefix("sg-exec."), folder)
        XCTAssertTrue(contents(rt).contains("\(folder)/KEY"), "\(contents(rt))")

        // A second run while the first is alive leaves its folder alone.
        let during = try exec(["-e", "A=sg:bulk-01", "--", "/bin/true"], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertEqual(during.status, 0, during.stderr)
        XCTAssertTrue(contents(rt).contains("\(folder)/KEY"), "a live run's folder is kept: \(contents(rt))")

        kill(started.0.processIdentifier, SIGKILL)
        XCTAssertTrue(finish(started).signalled)
        XCTAssertTrue(contents(rt).contains("\(folder)/KEY"), "SIGKILL leaves the file behind")
        let after = try exec(["-e", "A=sg:bulk-01", "--", "/bin/true"], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(contents(rt), [], "the next run removed the abandoned folder")
    }

    func testSweepLeavesFoldersItDoesNotOwnOrThatHaveNoLock() throws {
        let rt = try runtimeDir()
        // No lock: being made by another run, or left by an sg-exec from before the locks.
        try FileManager.default.createDirectory(atPath: "\(rt)/sg-exec.nolock", withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(rt)/sg-exec.nolock/KEY", contents: Data("x".utf8)))
        // Not our naming: never touched.
        try FileManager.default.createDirectory(atPath: "\(rt)/other.abcdef", withIntermediateDirectories: false)
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(rt)/other.abcdef/.lock", contents: Data()))
        let r = try exec(["-e", "A=sg:bulk-01", "--", "/bin/true"], env: ["XDG_RUNTIME_DIR": rt])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Set(contents(rt)), ["sg-exec.nolock", "sg-exec.nolock/KEY", "other.abcdef", "other.abcdef/.lock"])
    }

    // MARK: exit codes and signals

    func testExitCodes() throws {
        for code in [0, 1, 42] {
            XCTAssertEqual(try exec(["-e", "A=sg:demo-db", "--", "/bin/sh", "-c", "exit \(code)"]).status, Int32(code))
            XCTAssertEqual(try exec(["--mask", "-e", "A=sg:demo-db", "--", "/bin/sh", "-c", "exit \(code)"]).status, Int32(code))
        }
        let killed = try exec(["--mask", "-e", "A=sg:demo-db", "--", "/bin/sh", "-c", "kill -USR1 $$"])
        XCTAssertEqual(killed.status, 128 + SIGUSR1)
        XCTAssertFalse(killed.signalled)
        let native = try exec(["-e", "A=sg:demo-db", "--", "/bin/sh", "-c", "kill -USR1 $$"])
        XCTAssertTrue(native.signalled, "execve: the signal is native")
        XCTAssertEqual(native.status, SIGUSR1)
        let notFound = try exec(["--", "no-such-command-sg-test"])
        XCTAssertEqual(notFound.status, 127)
        XCTAssertTrue(notFound.stderr.contains("no-such-command-sg-test: command not found"), notFound.stderr)
        let plain = try write("not-executable", "#!/bin/sh\n")
        XCTAssertEqual(try exec(["--", plain]).status, 126)
        XCTAssertEqual(try exec(["--", tmp.path]).status, 126)
        XCTAssertEqual(try exec(["-e", "A=sg:demo-db"]).status, 64, "no command")
    }

    func testSignalsAreForwarded() throws {
        let ready = tmp.appendingPathComponent("ready")
        let marker = tmp.appendingPathComponent("marker")
        let script = #"""
        trap 'echo usr1 >> "$2"' USR1
        trap 'echo int >> "$2"' INT
        trap 'echo term >> "$2"; exit 7' TERM
        echo ready > "$1"
        while :; do sleep 0.05; done
        """#
        let started = try start(["--mask", "-e", "A=sg:demo-db", "--", "/bin/sh", "-c", script, "sh", ready.path, marker.path])
        XCTAssertTrue(waitFor(ready))
        let pid = started.0.processIdentifier
        kill(pid, SIGUSR1)
        XCTAssertTrue(waitFor(marker))
        kill(pid, SIGINT)   // from a process, not a terminal: forwarded
        usleep(300_000)
        kill(pid, SIGTERM)
        let r = finish(started)
        XCTAssertEqual(r.status, 7, r.stderr)
        XCTAssertEqual(try String(contentsOf: marker, encoding: .utf8), "usr1\nint\nterm\n")
    }

    func testTerminalInterruptIsNotDeliveredTwice() throws {
        // Under a pseudo-terminal (script(1)), ^C goes to the whole foreground process group:
        // the child gets it from the terminal, and sg-exec must not forward a second copy.
        let ready = tmp.appendingPathComponent("ready")
        let marker = tmp.appendingPathComponent("marker")
        // perl counts every delivery of a signal (its deferred handlers run once per arrival).
        let child = #"$SIG{INT} = sub { open(my $f, ">>", $ARGV[0]); print $f "int\n"; close($f) }; open(my $r, ">", $ARGV[1]); print $r "ready\n"; close($r); select(undef, undef, undef, 0.1) for 1..20; exit 3"#
        // `exec`: script(1) runs its command with $SHELL -c; dash (CI's shell) would stay between
        // the terminal and sg-exec, and die of the ^C itself.
        let inner = "exec '\(TestPaths.binary("sg-exec"))' --mask -e A=sg:demo-db -- /usr/bin/perl -e '\(child.replacingOccurrences(of: "'", with: "'\\''"))' '\(marker.path)' '\(ready.path)'"
        let outer = #"(i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; printf '\003'; sleep 2) | script -qec "$2" /dev/null"#
        let r = finish(try start(["-c", outer, "sh", ready.path, inner], env: ["SHELL": "/bin/sh"], executable: "/bin/sh"))
        XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
        XCTAssertEqual(try String(contentsOf: marker, encoding: .utf8), "int\n", "one SIGINT, from the terminal")
    }

    // MARK: failures

    func testFailingReferencesStopTheChildAndAreEachNamed() throws {
        let marker = tmp.appendingPathComponent("marker")
        let r = try exec(["-e", "A=sg:demo-db", "-e", "B=sg:no-such-secret", "-e", "C=sg:bulk-02", "-e", "D=sg:also-missing",
                          "-e", "E=sg:bad/name", "--", "/bin/sh", "-c", "touch \"$1\"", "sh", marker.path])
        XCTAssertEqual(r.status, 67, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "the child never ran")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("sg-exec: B (sg:no-such-secret") }, r.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("sg-exec: D (sg:also-missing") }, r.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("sg-exec: E (") }, r.stderr)
        XCTAssertFalse(lines.contains { $0.contains(" A (") || $0.contains(" C (") }, r.stderr)
        XCTAssertFalse(r.stderr.contains(pw("demo-db")))
    }

    func testAccessDeniedExitsWithItsCode() throws {
        // A secret whose API key is wrong: 403 from the appliance → 77, child not run.
        let text = try String(contentsOfFile: sim.ready.config, encoding: .utf8)
            .replacingOccurrences(of: "api-key: {file: apikeys/bulk-03}", with: "api-key: \"wrong-api-key-123\"")
        XCTAssertTrue(text.contains("wrong-api-key-123"))
        let config = URL(fileURLWithPath: sim.ready.stateDir).appendingPathComponent("config-denied.yaml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o600)
        let marker = tmp.appendingPathComponent("marker")
        let r = try exec(["-e", "X=sg:bulk-03", "--", "/usr/bin/touch", marker.path], env: ["SG_CONFIG": config.path])
        XCTAssertEqual(r.status, 77, r.stderr)
        XCTAssertTrue(r.stderr.contains("X (sg:bulk-03"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
    }

    func testLoaderVariablesAreRefused() throws {
        let marker = tmp.appendingPathComponent("marker")
        for args in [["-e", "LD_PRELOAD=sg:demo-db"], ["-e", "PATH=sg:demo-db"],
                     ["-f", try write("s.yml", "LD_LIBRARY_PATH: !var demo-db\n")]] {
            let r = try exec(args + ["--", "/usr/bin/touch", marker.path])
            XCTAssertEqual(r.status, 64, r.stderr)
            let name = args[1].hasPrefix("LD_PRELOAD") ? "LD_PRELOAD" : args[1].hasPrefix("PATH") ? "PATH" : "LD_LIBRARY_PATH"
            XCTAssertTrue(r.stderr.contains("refusing to set \(name)"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
        }
        for args in [["-e", "LD_PRELOAD"], ["--env-all"]] {
            let fromEnv = try exec(args + ["--", "/usr/bin/touch", marker.path], env: ["LD_PRELOAD": "sg:demo-db"])
            XCTAssertEqual(fromEnv.status, 64, fromEnv.stderr)
        }
        let never = try exec(["--allow-env", "LD_PRELOAD", "-e", "LD_PRELOAD=sg:demo-db", "--", "/usr/bin/touch", marker.path])
        XCTAssertEqual(never.status, 64, "PATH and LD_* cannot be allowed: \(never.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
    }

    func testInterpreterHookVariablesNeedAllowEnv() throws {
        let marker = tmp.appendingPathComponent("marker")
        let hooks = ["BASH_ENV", "ENV", "PROMPT_COMMAND", "IFS", "GCONV_PATH", "LOCPATH", "GLIBC_TUNABLES", "NODE_OPTIONS",
                     "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PERL5OPT", "PERL5LIB", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS"]
        for name in hooks {
            let r = try exec(["-e", "\(name)=sg:demo-db", "--", "/usr/bin/touch", marker.path])
            XCTAssertEqual(r.status, 64, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("refusing to set \(name) (from -e)") && r.stderr.contains("--allow-env \(name)"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), name)
        }
        let fromFile = try exec(["-f", try write("s.yml", "BASH_ENV: !var demo-db\n"), "--", "/usr/bin/touch", marker.path])
        XCTAssertEqual(fromFile.status, 64, fromFile.stderr)
        let fromEnv = try exec(["-e", "PYTHONPATH", "--", "/usr/bin/touch", marker.path], env: ["PYTHONPATH": "sg:demo-db"])
        XCTAssertEqual(fromEnv.status, 64, fromEnv.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))

        // Allowed by name, on the command line or in the config; one name allows one variable.
        let allowed = try exec(["--allow-env", "PYTHONPATH", "-e", "PYTHONPATH=sg:bulk-01", "--", "/bin/sh", "-c", #"printf %s "$PYTHONPATH""#])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertEqual(allowed.stdout, "bulk-01-value")
        let other = try exec(["--allow-env", "PYTHONPATH", "-e", "NODE_OPTIONS=sg:bulk-01", "--", "/bin/true"])
        XCTAssertEqual(other.status, 64, other.stderr)
        let config = try config(appending: "exec:\n  allow-env: [NODE_OPTIONS]\n")
        let byConfig = try exec(["-e", "NODE_OPTIONS=sg:bulk-01", "--", "/bin/sh", "-c", #"printf %s "$NODE_OPTIONS""#], env: ["SG_CONFIG": config])
        XCTAssertEqual(byConfig.status, 0, byConfig.stderr)
        XCTAssertEqual(byConfig.stdout, "bulk-01-value")
        // An inherited hook variable sg-exec was not asked to touch passes as it is.
        let untouched = try exec(["--", "/bin/sh", "-c", #"printf %s "$PERL5OPT""#], env: ["PERL5OPT": "-w"])
        XCTAssertEqual(untouched.stdout, "-w", untouched.stderr)
    }

    // MARK: masking

    func testMaskingAcrossSplitWrites() throws {
        // Each byte is a separate write by a separate process, with pauses between.
        let script = #"""
        for o in $(printf %s "$1" | od -An -v -to1); do /usr/bin/printf "\\$o"; sleep 0.01; done
        echo
        printf 'err:%s\n' "$1" >&2
        printf 'tail %s' "$2"
        """#
        let r = try exec(["--mask", "-e", "A=sg:demo-db", "-e", "B=sg:unicode-pw", "--", "/bin/sh", "-c",
                          #"x() { "# + "\n" + script + "\n" + #"}; x "$A" "$B"; x "$B" "$A""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "<concealed by sg>\ntail <concealed by sg><concealed by sg>\ntail <concealed by sg>")
        XCTAssertEqual(r.stderr, "err:<concealed by sg>\nerr:<concealed by sg>\n")
    }

    // MARK: what the child can see

    func testChildSeesNoSgSecretsInArgvEnvironOrCoreLimit() throws {
        // demo-db's API key from an environment variable: the child must not inherit it.
        let key = sim.ready.apiKeys["demo-db"]!
        let text = try String(contentsOfFile: sim.ready.config, encoding: .utf8)
            .replacingOccurrences(of: "api-key: {file: apikeys/demo-db}", with: "api-key: {env: SG_TEST_DEMO_KEY}")
        XCTAssertTrue(text.contains("SG_TEST_DEMO_KEY"))
        let config = URL(fileURLWithPath: sim.ready.stateDir).appendingPathComponent("config-env.yaml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o600)
        let script = #"""
        tr '\0' '\n' < /proc/$$/cmdline > "$1/cmdline"
        tr '\0' '\n' < /proc/$$/environ > "$1/environ"
        ulimit -S -c > "$1/core"
        """#
        for mode in [[], ["--mask"]] {
            let r = finish(try start(["-c", #"ulimit -S -c 2048; exec "$0" "$@""#, TestPaths.binary("sg-exec")] + mode
                                     + ["-e", "PW=sg:demo-db", "--", "/bin/sh", "-c", script, "sh", tmp.path],
                                     env: ["SG_CONFIG": config.path, "SG_TEST_DEMO_KEY": key,
                                           "SG_KEYRING_PASSPHRASE": "keyring-pass-xyz", "SSLKEYLOGFILE": "/tmp/keylog"],
                                     executable: "/bin/sh"))
            XCTAssertEqual(r.status, 0, r.stderr)
            let cmdline = try String(contentsOf: tmp.appendingPathComponent("cmdline"), encoding: .utf8)
            let environ = try String(contentsOf: tmp.appendingPathComponent("environ"), encoding: .utf8)
            XCTAssertFalse(cmdline.contains(pw("demo-db")), "\(mode)")
            XCTAssertTrue(environ.contains("\nPW=\(pw("demo-db"))\n"), "\(mode): injected")
            for bad in ["SG_KEYRING_PASSPHRASE", "SG_TEST_DEMO_KEY", "keyring-pass-xyz", key, "SSLKEYLOGFILE"] {
                XCTAssertFalse(environ.contains(bad), "\(mode): \(bad) reached the child")
            }
            XCTAssertTrue(environ.contains("SG_CONFIG="), "sg's non-secret variables stay")
            XCTAssertEqual(try String(contentsOf: tmp.appendingPathComponent("core"), encoding: .utf8), "2048\n",
                           "\(mode): the child gets the soft core limit sg-exec started with")
        }
    }

    /// Kills the tool `started` with SIGKILL once its child wrote its pid to `pidFile`, and
    /// reports whether that child ended too (hang guard: 20 s): gone, or a zombie nobody reaps here.
    func childEndsWithKilledTool(_ started: (Process, URL, URL), pidFile: URL) throws -> Bool {
        XCTAssertTrue(waitFor(pidFile), "the child never wrote its pid")
        let child = try XCTUnwrap(Int32(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(started.0.processIdentifier, SIGKILL)
        // Before finish(): Foundation's Process waits for whoever holds its output files.
        var ended = false
        let deadline = Date(timeIntervalSinceNow: 20)
        while !ended && Date() < deadline {
            let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)
            ended = stat == nil || stat?.split(separator: ")").last?.split(separator: " ").first == "Z"
            if !ended { usleep(20_000) }
        }
        kill(child, SIGKILL)
        XCTAssertTrue(finish(started).signalled)
        return ended
    }

    func testTheChildOfAKilledSgExecDies() throws {
        let pidFile = tmp.appendingPathComponent("pid")
        // --mask keeps sg-exec as the child's parent (no exec in place).
        let started = try start(["--mask", "-e", "PW=sg:demo-db", "--", "/bin/sh", "-c", #"echo $$ > "$1"; exec sleep 60"#, "sh", pidFile.path])
        XCTAssertTrue(try childEndsWithKilledTool(started, pidFile: pidFile), "the child outlived sg-exec: no parent-death signal")
    }

    /// The sim's config with demo-db's API key read by a `command:` source running `script` first.
    func commandSourceConfig(_ script: String) throws -> String {
        let key = URL(fileURLWithPath: sim.ready.stateDir).appendingPathComponent("apikeys/demo-db").path
        let text = try String(contentsOfFile: sim.ready.config, encoding: .utf8)
            .replacingOccurrences(of: "api-key: {file: apikeys/demo-db}", with: "api-key: {command: \"\(script); cat '\(key)'\"}")
        XCTAssertTrue(text.contains("{command:"))
        let config = URL(fileURLWithPath: sim.ready.stateDir).appendingPathComponent("config-command-\(UUID().uuidString).yaml")
        FileManager.default.createFile(atPath: config.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        addTeardownBlock { try? FileManager.default.removeItem(at: config) }
        return config.path
    }

    func testACommandSourceGetsTheCoreLimitSgStartedWith() throws {
        let core = tmp.appendingPathComponent("core")
        let config = try commandSourceConfig("ulimit -S -c > '\(core.path)'")
        let r = finish(try start(["-c", #"ulimit -S -c 2048; exec "$0" "$@""#, TestPaths.binary("sg-secret"), "-n", "sg:demo-db"],
                                 env: ["SG_CONFIG": config], executable: "/bin/sh"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, pw("demo-db"))
        XCTAssertEqual(try String(contentsOf: core, encoding: .utf8), "2048\n", "not the 0 sg-secret hardened itself to")
    }

    func testACommandSourceEndsWithAKilledTool() throws {
        let pidFile = tmp.appendingPathComponent("pid")
        let config = try commandSourceConfig("echo $$ > '\(pidFile.path)'; exec sleep 60")
        let started = try start(["sg:demo-db"], env: ["SG_CONFIG": config], executable: TestPaths.binary("sg-secret"))
        XCTAssertTrue(try childEndsWithKilledTool(started, pidFile: pidFile), "the command outlived sg-secret: its output has no reader any more")
    }

    func testSgExecOwnArgvHoldsNoSecret() throws {
        let ready = tmp.appendingPathComponent("ready")
        let started = try start(["--mask", "-e", "PW=sg:demo-db", "--", "/bin/sh", "-c", #"echo ok > "$1"; exec sleep 30"#, "sh", ready.path])
        XCTAssertTrue(waitFor(ready))
        let pid = started.0.processIdentifier
        let own = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        XCTAssertTrue(own.contains("PW=sg:demo-db"))
        XCTAssertFalse(own.contains(pw("demo-db")))
        kill(pid, SIGTERM)
        XCTAssertEqual(finish(started).status, 128 + SIGTERM)
    }

    // MARK: many references

    func testOneFetchPerSecretWhateverTheFields() throws {
        try sim.post("/admin/reset-log")
        let r = try exec(["-e", "A=sg:api-ci#ClientId", "-e", "B=sg:api-ci#ClientSecret", "-e", "C=sg:api-ci#ClientId",
                          "-e", "D=sg:demo-db", "-e", "E=sg:demo-db", "-e", "F=sg:api-ci#NoSuchField",
                          "--", "/bin/true"])
        XCTAssertEqual(r.status, 67, r.stderr)
        XCTAssertTrue(r.stderr.contains("F (sg:api-ci#NoSuchField"), r.stderr)
        let log = try sim.log().filter { $0.path.lowercased().contains("/a2a/") }
        XCTAssertEqual(log.count, 2, "one request for api-ci, one for demo-db: \(log.map(\.path))")

        try sim.post("/admin/reset-log")
        let ok = try exec(["-e", "A=sg:api-ci#ClientId", "-e", "B=sg:api-ci#ClientSecret", "-e", "C=sg:api-ci",
                           "--", "/bin/sh", "-c", #"printf '%s|%s|%s' "$A" "$B" "$C""#])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let parts = ok.stdout.components(separatedBy: "|")
        XCTAssertEqual(parts.first, "ci-client-1")
        XCTAssertEqual(parts.count, 3)
        XCTAssertFalse(parts[1].isEmpty)
        XCTAssertEqual(parts[2], parts[1], "sg:api-ci is its configured field, ClientSecret")
        XCTAssertEqual(try sim.log().filter { $0.path.lowercased().contains("/a2a/") }.count, 1)
    }


    func testFiftyReferencesShareFewConnections() throws {
        try sim.post("/admin/reset-log")
        var args: [String] = []
        for i in 1...50 { args += ["-e", String(format: "BULK_%02d=sg:bulk-%02d", i, i)] }
        let began = Date()
        let r = try exec(args + ["--", "/usr/bin/env"])
        let took = Date().timeIntervalSince(began)
        XCTAssertEqual(r.status, 0, r.stderr)
        for i in 1...50 { XCTAssertTrue(r.stdout.contains(String(format: "BULK_%02d=bulk-%02d-value\n", i, i)), "\(i)") }
        let log = try sim.log().filter { $0.path.lowercased().contains("/a2a/") }
        XCTAssertEqual(log.count, 50)
        let conns = Set(log.map(\.conn))
        XCTAssertLessThanOrEqual(conns.count, 4, "one pool of at most 4 connections")
        XCTAssertLessThanOrEqual(try sim.stats().connections, 4)
        print("sg-exec with 50 references: \(String(format: "%.2f", took)) s over \(conns.count) connections")
    }
}
