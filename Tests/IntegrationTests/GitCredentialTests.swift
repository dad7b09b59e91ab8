import Foundation
import SGTestSupport
import XCTest

/// git-credential-sg driven by real git against sg-sim and a loopback git HTTP server.
final class GitCredentialTests: XCTestCase {
    var sim: Simulator!
    var server: GitHTTPServer!
    var env: ToolEnvironment!

    override func setUpWithError() throws {
        sim = try Simulator()
        server = try GitHTTPServer()
        env = try ToolEnvironment(sim: sim, label: "gitcred")
        // A fake GIT_ASKPASS as in git's t/lib-credential.sh: stderr lists every prompt git had to make.
        let askpass = env.home.appendingPathComponent("askpass")
        try """
        #!/bin/sh
        echo "askpass: $*" >&2
        case "$*" in
          Username*) echo askpass-username ;;
          *) echo askpass-password ;;
        esac

        """.write(to: askpass, atomically: true, encoding: .utf8)
        chmod(askpass.path, 0o700)
        env.extra["GIT_ASKPASS"] = askpass.path
    }

    override func tearDown() {
        server?.stop()
        sim?.stop()
        env = nil
    }

    var password: [String: String] { sim.ready.passwords }

    /// `git config --global` in the test's HOME.
    func gitConfig(_ key: String, _ value: String, add: Bool = false) throws {
        let r = try env.run(["git", "config", "--global"] + (add ? ["--add"] : []) + [key, value])
        XCTAssertEqual(r.status, 0, r.stderrText)
    }

    func git(_ args: [String], in dir: URL? = nil) throws -> ToolRun {
        try env.run(["git"] + args, cwd: dir)
    }

    func helper(_ action: String, _ input: String) throws -> ToolRun {
        try env.run(["git-credential-sg", action], input: input)
    }

    func credential(_ op: String, _ input: String) throws -> ToolRun {
        try env.run(["git", "credential", op], input: input)
    }

    /// Parses `key=value` lines.
    func attributes(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    /// A rule block for the git server's host (or a path under it).
    func rule(_ path: String = "", secret: String, username: String? = nil, ttl: Int? = nil, url: String? = nil) -> String {
        var r = "    - url: \(url ?? server.base + path)\n      secret: \(secret)\n      allow-http: true\n"
        if let username { r += "      username: \(username)\n" }
        if let ttl { r += "      cache-ttl: \(ttl)\n" }
        return r
    }

    /// A second helper after sg that answers `get` from a file (so no password is in any argv).
    func addFallbackHelper(username: String, password: String) throws {
        let answer = env.home.appendingPathComponent("fallback.answer")
        FileManager.default.createFile(atPath: answer.path, contents: Data("username=\(username)\npassword=\(password)\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        let script = env.home.appendingPathComponent("git-credential-fallback")
        try "#!/bin/sh\ntest \"$1\" = get && cat '\(answer.path)'\nexit 0\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o700)
        try gitConfig("credential.helper", script.path, add: true)
    }

    func useHelper() throws {
        try gitConfig("credential.helper", "sg")
    }

    // MARK: real git over HTTP

    func testCloneAndPushWithThePasswordFromTheSimulator() throws {
        try server.createRepository("team/repo.git")
        try server.setAccount("team", user: "svc-git", password: try XCTUnwrap(password["git-team"]))
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team"))
        try useHelper()

        let work = env.home.appendingPathComponent("work")
        let clone = try git(["clone", "-q", server.url("team/repo.git"), work.path])
        XCTAssertEqual(clone.status, 0, clone.stderrText)
        XCTAssertEqual(try String(contentsOf: work.appendingPathComponent("README"), encoding: .utf8), "seed team/repo.git\n")
        try "change\n".write(to: work.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try git(["add", "file"], in: work).status, 0)
        XCTAssertEqual(try git(["-c", "user.name=t", "-c", "user.email=t@example", "commit", "-q", "-m", "c"], in: work).status, 0)
        let push = try git(["push", "-q", "origin", "main"], in: work)
        XCTAssertEqual(push.status, 0, push.stderrText)

        let log = try server.log()
        XCTAssertTrue(log.contains { $0.path.hasSuffix("git-receive-pack") && $0.user == "svc-git" && $0.status == 200 }, "\(log)")
        XCTAssertFalse(log.contains { $0.status == 401 && $0.user == "svc-git" }, "no rejected attempt: \(log)")
        // One fetch from the appliance; the second git command was served from the cache.
        XCTAssertEqual(try env.a2aFetches(), 1)
    }

    func testRotationFailsOncePromptsEraseAndTheRetrySucceeds() throws {
        try server.createRepository("team/repo.git")
        try server.setAccount("team", user: "svc-git", password: try XCTUnwrap(password["git-team"]))
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team", ttl: 3600))
        try useHelper()
        let work = env.home.appendingPathComponent("work")
        XCTAssertEqual(try git(["clone", "-q", server.url("team/repo.git"), work.path]).status, 0)
        XCTAssertEqual(try env.a2aFetches(), 1)

        // The password rotates; the server now accepts only the new one.
        XCTAssertEqual(try sim.admin("/admin/rotate", json: ["secret": "git-team"]).status, 200)
        let fresh = try env.run(["sg-secret", "-n", "git-team"])
        XCTAssertEqual(fresh.status, 0, fresh.stderrText)
        XCTAssertNotEqual(fresh.stdoutText, password["git-team"])
        try server.setAccount("team", user: "svc-git", password: fresh.stdoutText)
        try sim.post("/admin/reset-log")

        try "change\n".write(to: work.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try git(["add", "file"], in: work).status, 0)
        XCTAssertEqual(try git(["-c", "user.name=t", "-c", "user.email=t@example", "commit", "-q", "-m", "c"], in: work).status, 0)
        let first = try git(["push", "-q", "origin", "main"], in: work)
        XCTAssertNotEqual(first.status, 0, "the cached old password must be refused")
        XCTAssertTrue(first.stderrText.contains("Authentication failed"), first.stderrText)
        XCTAssertEqual(try env.a2aFetches(), 0, "the first push used the cached copy")

        let retry = try git(["push", "-q", "origin", "main"], in: work)
        XCTAssertEqual(retry.status, 0, "git's erase dropped the stale copy, so the retry fetches the new password: \(retry.stderrText)")
        XCTAssertEqual(try env.a2aFetches(), 1)
        XCTAssertTrue(try server.log().contains { $0.path.hasSuffix("git-receive-pack") && $0.status == 200 })
    }

    func testUnmappedHostFallsThroughToTheNextHelper() throws {
        try server.createRepository("misc/repo.git")
        try server.setAccount("misc", user: "fallback-user", password: "fallback-pass")
        // Rules exist, but for another host.
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team", url: "https://git.sim.example"))
        try useHelper()
        try addFallbackHelper(username: "fallback-user", password: "fallback-pass")

        let direct = try helper("get", "protocol=http\nhost=127.0.0.1:\(server.port)\n\n")
        XCTAssertEqual(direct.status, 0, direct.stderrText)
        XCTAssertEqual(direct.stdout.count, 0, "an unmapped host gets no answer")
        XCTAssertEqual(direct.stderrText, "")

        // No network and no keyring on this path: neither libcurl, libsecret nor libcrypto is loaded.
        env.extra["LD_DEBUG"] = "files"
        let traced = try helper("get", "protocol=http\nhost=127.0.0.1:\(server.port)\n\n")
        env.extra["LD_DEBUG"] = nil
        XCTAssertEqual(traced.stdout.count, 0)
        XCTAssertTrue(traced.stderrText.contains("calling init"), "LD_DEBUG works here: \(traced.stderrText.prefix(200))")
        for library in ["libcurl", "libsecret", "libcrypto"] {
            XCTAssertFalse(traced.stderrText.contains(library), "\(library) loaded for an unmapped host")
        }

        let clone = try git(["clone", "-q", server.url("misc/repo.git"), env.home.appendingPathComponent("w").path])
        XCTAssertEqual(clone.status, 0, clone.stderrText)
        XCTAssertTrue(try server.log().contains { $0.user == "fallback-user" && $0.status == 200 })
        XCTAssertEqual(try env.a2aFetches(), 0)
    }

    /// libcrypto is loaded on first use (the file keyring's AES-GCM here); a libcrypto that
    /// cannot be loaded is one line and exit 69, never a crash.
    func testLibcryptoIsLoadedOnFirstUseAndItsAbsenceIsOneLine() throws {
        try env.writeConfig(git: "  store-unmapped: true\n")
        env.extra["SG_KEYRING"] = "file"
        let store = "protocol=https\nhost=example.com\nusername=u\npassword=p\n\n"
        env.extra["LD_DEBUG"] = "files"
        let traced = try helper("store", store)
        env.extra["LD_DEBUG"] = nil
        XCTAssertEqual(traced.status, 0)
        XCTAssertTrue(traced.stderrText.contains("libcrypto.so.3"), "the file keyring loads libcrypto")

        let broken = env.home.appendingPathComponent("broken-lib", isDirectory: true)
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "not an ELF file".write(to: broken.appendingPathComponent("libcrypto.so.3"), atomically: true, encoding: .utf8)
        env.extra["LD_LIBRARY_PATH"] = broken.path
        let r = try helper("get", "protocol=https\nhost=example.com\n\n")
        env.extra["LD_LIBRARY_PATH"] = nil
        XCTAssertEqual(r.status, 69, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertTrue(r.stderrText.hasPrefix("sg: cannot load OpenSSL ("), r.stderrText)
        XCTAssertTrue(r.stderrText.hasSuffix("); install libssl3\n"), r.stderrText)
        XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, r.stderrText)
    }

    func testUseHttpPathChoosesTheAccountPerRepository() throws {
        try server.createRepository("team/repo.git")
        try server.createRepository("other/repo.git")
        try server.setAccount("team", user: "svc-git", password: try XCTUnwrap(password["git-team"]))
        try server.setAccount("other", user: "svc-other", password: try XCTUnwrap(password["git-other"]))
        try env.writeConfig(git: "  rules:\n" + rule("/team", secret: "git-team") + rule("/other", secret: "git-other"))
        try useHelper()
        try gitConfig("credential.useHttpPath", "true")

        for repo in ["team", "other"] {
            let r = try git(["clone", "-q", server.url("\(repo)/repo.git"), env.home.appendingPathComponent(repo).path])
            XCTAssertEqual(r.status, 0, "\(repo): \(r.stderrText)")
        }
        let ok = try server.log().filter { $0.status == 200 }
        XCTAssertTrue(ok.contains { $0.path.hasPrefix("/team/") && $0.user == "svc-git" })
        XCTAssertTrue(ok.contains { $0.path.hasPrefix("/other/") && $0.user == "svc-other" })

        // Without useHttpPath git sends no path, and path rules do not apply.
        try gitConfig("credential.useHttpPath", "false")
        let fill = try credential("fill", "url=\(server.url("team/repo.git"))\n\n")
        XCTAssertEqual(attributes(fill.stdoutText)["username"], "askpass-username", fill.stderrText)
    }

    // MARK: the protocol, fed directly and through git credential

    func testProtocolEdgeCases() throws {
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team", username: "svc-git", ttl: 0))
        let host = "127.0.0.1:\(server.port)"
        let expected = "username=svc-git\npassword=\(password["git-team"]!)\n"

        // No blank line at the end (EOF ends the request).
        var r = try helper("get", "protocol=http\nhost=\(host)")
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdoutText, expected)
        // CRLF line ends, as strbuf_getline accepts them.
        r = try helper("get", "protocol=http\r\nhost=\(host)\r\n\r\n")
        XCTAssertEqual(r.stdoutText, expected, r.stderrText)
        // Unknown attributes are ignored and never sent back.
        r = try helper("get", "capability[]=authtype\nprotocol=http\nwwwauth[]=Basic realm=\"x\"\nfuture_key=1\nhost=\(host)\nstate[]=x\n\n")
        XCTAssertEqual(r.stdoutText, expected, r.stderrText)
        // url= form (and it wipes what came before it, as in git).
        r = try helper("get", "host=elsewhere.example\nurl=http://svc-git@\(host)/team/repo.git\n\n")
        XCTAssertEqual(r.stdoutText, expected, r.stderrText)
        // Attributes after the blank line are not part of the request.
        r = try helper("get", "protocol=http\n\nhost=\(host)\n")
        XCTAssertEqual(r.stdout.count, 0)
        // A huge (but legal) value is fine; a line longer than git allows is refused.
        r = try helper("get", "protocol=http\nhost=\(host)\nwwwauth[]=\(String(repeating: "a", count: 60000))\n\n")
        XCTAssertEqual(r.stdoutText, expected, r.stderrText)
        r = try helper("get", "protocol=http\nhost=\(host)\nwwwauth[]=\(String(repeating: "a", count: 70000))\n\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, r.stderrText)
        // Empty input: nothing to answer.
        r = try helper("get", "")
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        // A line without '=' is malformed.
        r = try helper("get", "protocol=http\ngarbage\nhost=\(host)\n\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout.count, 0)
        // Unknown operations are ignored, whatever the input.
        r = try helper("capability", "garbage\n")
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout.count, 0)
        // store never writes anywhere (and never contacts the appliance).
        try sim.post("/admin/reset-log")
        r = try helper("store", "protocol=http\nhost=\(host)\nusername=svc-git\npassword=other\n\n")
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertEqual(try sim.log().count, 0)
        // No operation at all is a usage error.
        r = try env.run(["git-credential-sg"], input: "")
        XCTAssertEqual(r.status, 64)

        // The same through git credential fill/approve/reject.
        try useHelper()
        let fill = try credential("fill", "url=\(server.url("team/repo.git"))\n\n")
        XCTAssertEqual(fill.status, 0, fill.stderrText)
        XCTAssertEqual(fill.stdoutText, "protocol=http\nhost=\(host)\n" + expected)
        XCTAssertEqual(fill.stderrText, "", "no prompt was needed")
        XCTAssertEqual(try credential("approve", "protocol=http\nhost=\(host)\nusername=svc-git\npassword=x\n\n").status, 0)
        XCTAssertEqual(try credential("reject", "protocol=http\nhost=\(host)\nusername=svc-git\npassword=x\n\n").status, 0)
        XCTAssertEqual(try credential("fill", "protocol=http\nhost=\(host)\n\n").stdoutText, "protocol=http\nhost=\(host)\n" + expected)
    }

    func testValuesWithLineBreaksAreRefused() throws {
        // rotating-pw is bidirectional: set it to a value that would inject an attribute.
        let keyFile = env.home.appendingPathComponent("hdr")
        FileManager.default.createFile(atPath: keyFile.path, contents: Data("Authorization: A2A \(sim.ready.apiKeys["rotating-pw"]!)\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        let body = env.home.appendingPathComponent("body")
        try Data("\"evil\\nusername=attacker\"".utf8).write(to: body)
        let put = try env.run(["curl", "-s", "-S", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", sim.ready.ca,
                               "--cert", sim.ready.clientCert, "--key", sim.ready.clientKey, "-H", "@\(keyFile.path)",
                               "-H", "Content-Type: application/json", "-X", "PUT", "--data-binary", "@\(body.path)",
                               "\(sim.ready.baseURL)/service/a2a/v4/Credentials/Password"])
        XCTAssertEqual(put.stdoutText, "204", put.stderrText)

        try env.writeConfig(git: "  rules:\n" + rule(secret: "rotating-pw"))
        let host = "127.0.0.1:\(server.port)"
        let r = try helper("get", "protocol=http\nhost=\(host)\n\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1)
        XCTAssertTrue(r.stderrText.contains("line break"), r.stderrText)
        XCTAssertFalse(r.stderrText.contains("evil"), "the value never appears in messages")
        // Not cached either: a second get fetches again and refuses again.
        try sim.post("/admin/reset-log")
        XCTAssertEqual(try helper("get", "protocol=http\nhost=\(host)\n\n").status, 65)
        XCTAssertEqual(try env.a2aFetches(), 1)

        // Through git: the next helper is asked, and "attacker" never reaches git.
        try useHelper()
        try addFallbackHelper(username: "u2", password: "p2")
        let fill = try credential("fill", "protocol=http\nhost=\(host)\n\n")
        XCTAssertEqual(attributes(fill.stdoutText)["username"], "u2", fill.stdoutText)
        XCTAssertFalse(fill.stdoutText.contains("attacker"))
    }

    func testCacheTTLZeroFetchesEveryTimeAndPositiveTTLFetchesOnce() throws {
        try env.writeConfig(git: "  rules:\n"
            + rule(secret: "git-team", ttl: 0, url: "https://ttl0.sim.example")
            + rule(secret: "git-other", ttl: 300, url: "https://ttl300.sim.example"))
        try sim.post("/admin/reset-log")
        for _ in 0..<2 {
            let r = try helper("get", "protocol=https\nhost=ttl0.sim.example\n\n")
            XCTAssertEqual(r.status, 0, r.stderrText)
            XCTAssertEqual(attributes(r.stdoutText)["password"], password["git-team"])
            XCTAssertNil(attributes(r.stdoutText)["password_expiry_utc"], "no cached copy, no expiry")
        }
        XCTAssertEqual(try env.a2aFetches(), 2)

        try sim.post("/admin/reset-log")
        var expiries: [String] = []
        for _ in 0..<3 {
            let r = try helper("get", "protocol=https\nhost=ttl300.sim.example\n\n")
            XCTAssertEqual(r.status, 0, r.stderrText)
            let a = attributes(r.stdoutText)
            XCTAssertEqual(a["username"], "svc-other")
            XCTAssertEqual(a["password"], password["git-other"])
            expiries.append(try XCTUnwrap(a["password_expiry_utc"]))
        }
        XCTAssertEqual(try env.a2aFetches(), 1)
        XCTAssertEqual(Set(expiries).count, 1, "the expiry is the cached copy's")
        let expiry = try XCTUnwrap(Double(expiries[0]))
        XCTAssertEqual(expiry, Date().timeIntervalSince1970 + 300, accuracy: 10)

        // erase for a mapped host drops the cached copy (the password may have rotated)...
        let erase = try helper("erase", "protocol=https\nhost=ttl300.sim.example\nusername=svc-other\npassword=\(password["git-other"]!)\n\n")
        XCTAssertEqual(erase.status, 0, erase.stderrText)
        XCTAssertEqual(try helper("get", "protocol=https\nhost=ttl300.sim.example\n\n").status, 0)
        XCTAssertEqual(try env.a2aFetches(), 2)
        // ...but a rejected password that differs from the cached copy leaves the newer copy alone.
        XCTAssertEqual(try helper("erase", "protocol=https\nhost=ttl300.sim.example\npassword=stale\n\n").status, 0)
        XCTAssertEqual(try helper("get", "protocol=https\nhost=ttl300.sim.example\n\n").status, 0)
        XCTAssertEqual(try env.a2aFetches(), 2)
        // On the file backend the session cache lives in XDG_RUNTIME_DIR, private to the user.
        let file = env.home.appendingPathComponent("run/sg/git-session/keyring").path
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o077, 0)
    }

    func testGitConfigSgSecretNamesASecretPerURL() throws {
        // git-other may be chosen by git's config for byconfig.sim.example only (its git-urls).
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team", url: "https://mapped.sim.example")) {
            $0.replacingOccurrences(of: "  git-other:\n", with: "  git-other:\n    git-urls: [\"https://byconfig.sim.example\"]\n")
        }
        try useHelper()
        // Without the setting the host is unmapped (and the probe need not run git at all).
        var fill = try credential("fill", "protocol=https\nhost=byconfig.sim.example\n\n")
        XCTAssertTrue(fill.stderrText.contains("askpass: Username"), fill.stderrText)
        try gitConfig("credential.https://byconfig.sim.example.sgSecret", "git-other")
        fill = try credential("fill", "protocol=https\nhost=byconfig.sim.example\n\n")
        XCTAssertEqual(fill.stderrText, "")
        XCTAssertEqual(attributes(fill.stdoutText)["username"], "svc-other")
        XCTAssertEqual(attributes(fill.stdoutText)["password"], password["git-other"])
        // git's urlmatch rules apply: another host is not covered.
        fill = try credential("fill", "protocol=https\nhost=byconfig.sim.example.evil\n\n")
        XCTAssertTrue(fill.stderrText.contains("askpass: Username"), fill.stderrText)
        // Plain http is never opened by a git setting alone (only a rule with allow-http does that).
        try gitConfig("credential.http://byconfig.sim.example.sgSecret", "git-other")
        fill = try credential("fill", "protocol=http\nhost=byconfig.sim.example\n\n")
        XCTAssertTrue(fill.stderrText.contains("askpass: Username"), fill.stderrText)
        // A rule wins over the git setting.
        try gitConfig("credential.https://mapped.sim.example.sgSecret", "git-other")
        fill = try credential("fill", "protocol=https\nhost=mapped.sim.example\n\n")
        XCTAssertEqual(attributes(fill.stdoutText)["username"], "svc-git")
        // An unknown name is an error on stderr, and git goes on to prompt.
        try gitConfig("credential.https://bad.sim.example.sgSecret", "no-such-secret")
        let r = try helper("get", "protocol=https\nhost=bad.sim.example\n\n")
        XCTAssertEqual(r.status, 67)
        XCTAssertEqual(r.stdout.count, 0)
    }

    // MARK: issue 13

    /// Item 2: `team/%2e%2e/other` is `other` on the server; it must never get team's password.
    func testDotSegmentsInThePathNeverGetAPathRulesPassword() throws {
        try server.createRepository("team/repo.git")
        try server.createRepository("other/repo.git")
        try server.setAccount("team", user: "svc-git", password: try XCTUnwrap(password["git-team"]))
        try server.setAccount("other", user: "svc-other", password: try XCTUnwrap(password["git-other"]))
        try env.writeConfig(git: "  rules:\n" + rule("/team", secret: "git-team", username: "svc-git"))
        try useHelper()
        try gitConfig("credential.useHttpPath", "true")

        // Real git: it collapses a literal "/../" itself but passes the encoded form on.
        for path in ["team/%2e%2e/other/repo.git", "team/%2E%2E/other/repo.git", "team/%2e%2E/other/repo.git"] {
            server.resetLog()
            let r = try git(["ls-remote", server.url(path)])
            XCTAssertTrue(r.stderrText.contains("askpass: Username"), "sg gave no answer, so git prompted: \(r.stderrText)")
            let log = try server.log()
            XCTAssertFalse(log.contains { $0.user == "svc-git" }, "team's password was sent for \(path): \(log)")
        }
        // The helper directly, raw and encoded, with and without a user.
        let host = "127.0.0.1:\(server.port)"
        for path in ["team/../other/repo.git", "team/%2e%2e/other/repo.git", "team/%2E%2E/other/repo.git", "team/./repo.git",
                     "team%2f..%2fother/repo.git", "team/x%2F..%2F..%2Fother/repo.git"] {
            for user in ["", "username=svc-git\n"] {
                let r = try helper("get", "protocol=http\nhost=\(host)\npath=\(path)\n\(user)\n")
                XCTAssertEqual(r.status, 0, r.stderrText)
                XCTAssertEqual(r.stdout.count, 0, "\(path): \(r.stdoutText)")
            }
        }
        // The plain path still gets the password.
        server.resetLog()
        let ok = try git(["ls-remote", server.url("team/repo.git")])
        XCTAssertEqual(ok.status, 0, ok.stderrText)
        XCTAssertTrue(try server.log().contains { $0.user == "svc-git" && $0.status == 200 })
    }

    /// Item 3: a repository's .git/config (or GIT_CONFIG_*) can choose only a secret sg's config
    /// gives to git for that URL.
    func testARepositorysSgSecretCannotSendAnySecretAnywhere() throws {
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team", url: "https://mapped.sim.example"))
        try useHelper()
        let repo = env.home.appendingPathComponent("cloned")
        XCTAssertEqual(try git(["init", "-q", repo.path]).status, 0)
        for name in ["demo-db", "git-team", "git-other"] {
            XCTAssertEqual(try git(["config", "credential.https://evil.example.sgSecret", name], in: repo).status, 0)
            try sim.post("/admin/reset-log")
            let fill = try env.run(["git", "credential", "fill"], input: "protocol=https\nhost=evil.example\n\n", cwd: repo)
            XCTAssertTrue(fill.stderrText.contains("askpass: Username"), "\(name): \(fill.stderrText)")
            XCTAssertTrue(fill.stderrText.contains("git-credential-sg: warning: git config's credential.sgSecret"), fill.stderrText)
            XCTAssertFalse(fill.stdoutText.contains(password[name] ?? "\u{0}"), "\(name) was handed to evil.example")
            XCTAssertEqual(try env.a2aFetches(), 0, name)
        }
        // The same through GIT_CONFIG_* in the environment.
        env.extra["GIT_CONFIG_COUNT"] = "1"
        env.extra["GIT_CONFIG_KEY_0"] = "credential.https://evil.example.sgSecret"
        env.extra["GIT_CONFIG_VALUE_0"] = "git-team"
        let r = try helper("get", "protocol=https\nhost=evil.example\n\n")
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        // ...while the rule's own host still answers, whatever git's config says.
        env.extra["GIT_CONFIG_KEY_0"] = "credential.https://mapped.sim.example.sgSecret"
        env.extra["GIT_CONFIG_VALUE_0"] = "demo-db"
        let mapped = try helper("get", "protocol=https\nhost=mapped.sim.example\n\n")
        XCTAssertEqual(attributes(mapped.stdoutText)["password"], password["git-team"], mapped.stderrText)
    }

    /// Item 9: an empty password from A2A is exit 76 naming the secret, and nothing is cached.
    func testAnEmptyPasswordIsExit76AndNeverCached() throws {
        XCTAssertEqual(try sim.setPassword("rotating-pw", jsonBody: "\"\"", scratch: env.home), 204)
        try env.writeConfig(git: "  rules:\n" + rule(secret: "rotating-pw", ttl: 300, url: "https://rot.sim.example"))
        try sim.post("/admin/reset-log")
        for _ in 0..<2 {
            let r = try helper("get", "protocol=https\nhost=rot.sim.example\n\n")
            XCTAssertEqual(r.status, 76, r.stderrText)
            XCTAssertEqual(r.stdout.count, 0, "never password=")
            XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, r.stderrText)
            XCTAssertTrue(r.stderrText.contains("'rotating-pw'"), r.stderrText)
        }
        XCTAssertEqual(try env.a2aFetches(), 2, "nothing was cached")
    }

    /// Items 10 and 11, on both keyring backends: every attribute sg keeps comes back
    /// (password, password_expiry_utc, oauth_refresh_token), and erase without a path erases
    /// the credentials stored with one.
    func testStoredAttributesAndEraseOnBothKeyringBackends() throws {
        try env.writeConfig(git: "  store-unmapped: true\n")
        let session = try SecretServiceSession.start(.unlocked)
        defer { session.stop() }
        env.extra["DBUS_SESSION_BUS_ADDRESS"] = session.address
        for backend in ["file", "secret-service"] {
            env.extra["SG_KEYRING"] = backend
            let host = "\(backend).tld"
            let full = "username=u\npassword=pass word\npassword_expiry_utc=9999999999\noauth_refresh_token=refresh-xyzzy\n"
            XCTAssertEqual(try helper("store", "protocol=https\nhost=\(host)\n\(full)\n").status, 0)
            let got = try helper("get", "protocol=https\nhost=\(host)\n\n")
            XCTAssertEqual(got.stdoutText, full, "\(backend): \(got.stderrText)")
            XCTAssertEqual(try helper("get", "protocol=https\nhost=\(host)\nusername=u\n\n").stdoutText, full, backend)
            // A url= password holding LF or NUL (percent-encoded) is refused, never split into attributes.
            for bad in ["p%0Aoauth", "p%00x"] {
                let r = try helper("store", "url=https://lf:\(bad)@lf-\(host)/\n\n")
                XCTAssertEqual(r.status, 65, "\(backend) \(bad): \(r.stderrText)")
                XCTAssertEqual(try helper("get", "protocol=https\nhost=lf-\(host)\n\n").stdout.count, 0, "\(backend) \(bad)")
            }

            // erase without a path: a missing attribute matches any value (git-credential-store).
            for path in ["foo.git", "team/bar.git"] {
                XCTAssertEqual(try helper("store", "protocol=https\nhost=\(host)\npath=\(path)\nusername=p\npassword=pw\n\n").status, 0)
            }
            XCTAssertEqual(try helper("store", "protocol=https\nhost=other-\(host)\npath=foo.git\nusername=p\npassword=pw\n\n").status, 0)
            XCTAssertEqual(try helper("get", "protocol=https\nhost=\(host)\npath=foo.git\n\n").stdoutText, "username=p\npassword=pw\n", backend)
            XCTAssertEqual(try helper("erase", "protocol=https\nhost=\(host)\n\n").status, 0)
            for path in ["foo.git", "team/bar.git"] {
                let r = try helper("get", "protocol=https\nhost=\(host)\npath=\(path)\n\n")
                XCTAssertEqual(r.stdout.count, 0, "\(backend) \(path): \(r.stdoutText)")
            }
            XCTAssertEqual(try helper("get", "protocol=https\nhost=\(host)\n\n").stdout.count, 0, backend)
            XCTAssertEqual(try helper("get", "protocol=https\nhost=other-\(host)\npath=foo.git\n\n").stdoutText, "username=p\npassword=pw\n",
                           "another host is untouched (\(backend))")
            // With a path, erase stays on that path.
            XCTAssertEqual(try helper("store", "protocol=https\nhost=\(host)\npath=a.git\nusername=p\npassword=pw\n\n").status, 0)
            XCTAssertEqual(try helper("store", "protocol=https\nhost=\(host)\npath=b.git\nusername=p\npassword=pw\n\n").status, 0)
            XCTAssertEqual(try helper("erase", "protocol=https\nhost=\(host)\npath=a.git\n\n").status, 0)
            XCTAssertEqual(try helper("get", "protocol=https\nhost=\(host)\npath=a.git\n\n").stdout.count, 0)
            XCTAssertEqual(try helper("get", "protocol=https\nhost=\(host)\npath=b.git\n\n").stdoutText, "username=p\npassword=pw\n", backend)
        }
    }

    /// A `password_expiry_utc` beyond Int64 as a Double (Int64.max) once killed `store` and `get`
    /// (a Double → Int64 conversion trapped). git reads such a value as "never expires"; so does sg.
    func testExpiryBeyondAnyDateIsStoredWithoutExpiryNotACrash() throws {
        try env.writeConfig(git: "  store-unmapped: true\n")
        env.extra["SG_KEYRING"] = "file"
        for (i, expiry) in ["9223372036854775807", "99999999999999999999", "253402300800"].enumerated() {
            let host = "expiry\(i).tld"
            let stored = try helper("store", "protocol=https\nhost=\(host)\nusername=u\npassword=pw\npassword_expiry_utc=\(expiry)\n\n")
            XCTAssertEqual(stored.status, 0, "\(expiry): \(stored.stderrText)")
            let got = try helper("get", "protocol=https\nhost=\(host)\n\n")
            XCTAssertEqual(got.status, 0, "\(expiry): \(got.stderrText)")
            XCTAssertEqual(got.stdoutText, "username=u\npassword=pw\n", expiry)
        }
    }

    // MARK: git.store-unmapped: git's t/lib-credential.sh helper_test, ported

    /// `check fill|approve|reject`: the stdin, the expected stdout and the prompts git had to make.
    func check(_ op: String, _ input: String, _ expectedOut: String, prompts: [String] = [], config: [String] = [],
               file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try env.run(["git"] + config.flatMap { ["-c", $0] } + ["credential", op], input: input)
        XCTAssertEqual(r.status, 0, r.stderrText, file: file, line: line)
        XCTAssertEqual(r.stdoutText, expectedOut, file: file, line: line)
        let asked = r.stderrText.split(separator: "\n").map(String.init).filter { $0.hasPrefix("askpass: ") }
        XCTAssertEqual(asked, prompts.map { "askpass: " + $0 }, r.stderrText, file: file, line: line)
    }

    func testStoreUnmappedBehavesLikeAStorageHelper() throws {
        try env.writeConfig(git: "  store-unmapped: true\n  rules:\n" + rule(secret: "git-team", url: "https://mapped.sim.example"))
        try useHelper()
        let both = ["Username for 'https://example.com': ", "Password for 'https://askpass-username@example.com': "]

        // 1. has no existing data
        try check("fill", "protocol=https\nhost=example.com\n",
                  "protocol=https\nhost=example.com\nusername=askpass-username\npassword=askpass-password\n", prompts: both)
        // 2. stores password
        try check("approve", "protocol=https\nhost=example.com\nusername=store-user\npassword=store-pass\n", "")
        // 3. can retrieve password
        try check("fill", "protocol=https\nhost=example.com\n", "protocol=https\nhost=example.com\nusername=store-user\npassword=store-pass\n")
        // 4. requires matching protocol
        try check("fill", "protocol=http\nhost=example.com\n",
                  "protocol=http\nhost=example.com\nusername=askpass-username\npassword=askpass-password\n",
                  prompts: ["Username for 'http://example.com': ", "Password for 'http://askpass-username@example.com': "])
        // 5. requires matching host
        try check("fill", "protocol=https\nhost=other.tld\n",
                  "protocol=https\nhost=other.tld\nusername=askpass-username\npassword=askpass-password\n",
                  prompts: ["Username for 'https://other.tld': ", "Password for 'https://askpass-username@other.tld': "])
        // 6. requires matching username
        try check("fill", "protocol=https\nhost=example.com\nusername=other\n",
                  "protocol=https\nhost=example.com\nusername=other\npassword=askpass-password\n",
                  prompts: ["Password for 'https://other@example.com': "])
        // 7. requires matching path
        let path = ["credential.usehttppath=true"]
        try check("approve", "protocol=http\nhost=path.tld\npath=foo.git\nusername=user\npassword=pass\n", "", config: path)
        try check("fill", "protocol=http\nhost=path.tld\npath=bar.git\n",
                  "protocol=http\nhost=path.tld\npath=bar.git\nusername=askpass-username\npassword=askpass-password\n",
                  prompts: ["Username for 'http://path.tld/bar.git': ", "Password for 'http://askpass-username@path.tld/bar.git': "], config: path)
        try check("fill", "protocol=http\nhost=path.tld\npath=foo.git\n",
                  "protocol=http\nhost=path.tld\npath=foo.git\nusername=user\npassword=pass\n", config: path)
        // 8. overwrites on store
        try check("approve", "protocol=https\nhost=example.com\nusername=user-overwrite\npassword=pass1\n", "")
        try check("approve", "protocol=https\nhost=example.com\nusername=user-overwrite\npassword=pass2\n", "")
        try check("fill", "protocol=https\nhost=example.com\nusername=user-overwrite\n",
                  "protocol=https\nhost=example.com\nusername=user-overwrite\npassword=pass2\n")
        try check("reject", "protocol=https\nhost=example.com\nusername=user-overwrite\npassword=pass2\n", "")
        try check("fill", "protocol=https\nhost=example.com\nusername=user-overwrite\n",
                  "protocol=https\nhost=example.com\nusername=user-overwrite\npassword=askpass-password\n",
                  prompts: ["Password for 'https://user-overwrite@example.com': "])
        // 9. can forget host
        try check("reject", "protocol=https\nhost=example.com\n", "")
        try check("fill", "protocol=https\nhost=example.com\n",
                  "protocol=https\nhost=example.com\nusername=askpass-username\npassword=askpass-password\n", prompts: both)
        // 10. can store multiple users
        try check("approve", "protocol=https\nhost=example.com\nusername=user1\npassword=pass1\n", "")
        try check("approve", "protocol=https\nhost=example.com\nusername=user2\npassword=pass2\n", "")
        try check("fill", "protocol=https\nhost=example.com\nusername=user1\n", "protocol=https\nhost=example.com\nusername=user1\npassword=pass1\n")
        try check("fill", "protocol=https\nhost=example.com\nusername=user2\n", "protocol=https\nhost=example.com\nusername=user2\npassword=pass2\n")
        // 11. does not erase a password distinct from input
        try check("approve", "protocol=https\nhost=example.com\nusername=user-distinct-pass\npassword=pass1\n", "")
        try check("reject", "protocol=https\nhost=example.com\nusername=user-distinct-pass\npassword=pass2\n", "")
        try check("fill", "protocol=https\nhost=example.com\nusername=user-distinct-pass\n",
                  "protocol=https\nhost=example.com\nusername=user-distinct-pass\npassword=pass1\n")
        // 12. can forget user
        try check("reject", "protocol=https\nhost=example.com\nusername=user1\n", "")
        try check("fill", "protocol=https\nhost=example.com\nusername=user1\n",
                  "protocol=https\nhost=example.com\nusername=user1\npassword=askpass-password\n",
                  prompts: ["Password for 'https://user1@example.com': "])
        // 13. remembers other user
        try check("fill", "protocol=https\nhost=example.com\nusername=user2\n", "protocol=https\nhost=example.com\nusername=user2\npassword=pass2\n")
        // 14. can store empty username
        try check("approve", "protocol=https\nhost=sso.tld\nusername=\npassword=\n", "")
        try check("fill", "protocol=https\nhost=sso.tld\n", "protocol=https\nhost=sso.tld\nusername=\npassword=\n")
        // 15. erases all matching credentials
        try check("approve", "protocol=https\nhost=example.com\nusername=user1\npassword=pass1\n", "")
        try check("approve", "protocol=https\nhost=example.com\nusername=user2\npassword=pass2\n", "")
        try check("reject", "protocol=https\nhost=example.com\n", "")
        try check("fill", "protocol=https\nhost=example.com\n",
                  "protocol=https\nhost=example.com\nusername=askpass-username\npassword=askpass-password\n", prompts: both)
        // 16. not confused by a long header naming another host
        try check("approve", "protocol=https\nhost=victim.example.com\nusername=victim\npassword=victim-pass\n", "")
        let long = "wwwauth[]=basic realm=" + String(repeating: "a", count: 1024) + "host=victim.example.com"
        try check("fill", "protocol=https\nhost=badguy.example.com\n\(long)\n",
                  "protocol=https\nhost=badguy.example.com\nusername=askpass-username\npassword=askpass-password\n",
                  prompts: ["Username for 'https://badguy.example.com': ", "Password for 'https://askpass-username@badguy.example.com': "])

        // Mapped hosts are not stored: the rule keeps answering from Safeguard.
        try check("approve", "protocol=https\nhost=mapped.sim.example\nusername=svc-git\npassword=other\n", "")
        try check("fill", "protocol=https\nhost=mapped.sim.example\n",
                  "protocol=https\nhost=mapped.sim.example\nusername=svc-git\npassword=\(password["git-team"]!)\n")

        // password_expiry_utc (git 2.39 drops it, so this part feeds the helper directly).
        XCTAssertEqual(try helper("store", "protocol=https\nhost=expiry.tld\nusername=user-expiry\npassword=pass\npassword_expiry_utc=9999999999\n\n").status, 0)
        let got = try helper("get", "protocol=https\nhost=expiry.tld\n\n")
        XCTAssertEqual(got.stdoutText, "username=user-expiry\npassword=pass\npassword_expiry_utc=9999999999\n")
        XCTAssertEqual(try helper("store", "protocol=https\nhost=expired.tld\nusername=u\npassword=pass\npassword_expiry_utc=1000\n\n").status, 0)
        XCTAssertEqual(try helper("get", "protocol=https\nhost=expired.tld\n\n").stdout.count, 0, "an expired credential is not kept")
        // oauth_refresh_token comes back too.
        XCTAssertEqual(try helper("store", "protocol=https\nhost=oauth.tld\nusername=user4\npassword=pass\noauth_refresh_token=xyzzy\n\n").status, 0)
        XCTAssertEqual(try helper("get", "protocol=https\nhost=oauth.tld\n\n").stdoutText, "username=user4\npassword=pass\noauth_refresh_token=xyzzy\n")
        // An empty pattern erases nothing.
        XCTAssertEqual(try helper("erase", "\n").status, 0)
        XCTAssertEqual(try helper("get", "protocol=https\nhost=oauth.tld\n\n").stdout.count > 0, true)
    }

    func testStoreUnmappedOffIgnoresStoreForUnmappedHosts() throws {
        try env.writeConfig(git: "  rules:\n" + rule(secret: "git-team", url: "https://mapped.sim.example"))
        XCTAssertEqual(try helper("store", "protocol=https\nhost=example.com\nusername=u\npassword=p\n\n").status, 0)
        let r = try helper("get", "protocol=https\nhost=example.com\n\n")
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout.count, 0)
    }

    // MARK: the Secret Service backend

    /// The item paths of a Secret Service collection, read over D-Bus.
    func items(_ session: SecretServiceSession, _ collection: String) throws -> [String] {
        let r = try session.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
                                 "/org/freedesktop/secrets/collection/\(collection)", "org.freedesktop.DBus.Properties.Get",
                                 "string:org.freedesktop.Secret.Collection", "string:Items"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").filter { $0.contains("object path") }.map(String.init)
    }

    func testOnTheSecretServiceCachedPasswordsGoToTheSessionCollectionAndStoredOnesToLogin() throws {
        let session = try SecretServiceSession.start(.unlocked)
        defer { session.stop() }
        env.extra["DBUS_SESSION_BUS_ADDRESS"] = session.address
        env.extra["SG_KEYRING"] = ""   // auto: the Secret Service answers on the bus
        try env.writeConfig(git: "  store-unmapped: true\n  rules:\n" + rule(secret: "git-team", ttl: 300, url: "https://cached.sim.example"))
        try sim.post("/admin/reset-log")
        for _ in 0..<2 {
            let r = try helper("get", "protocol=https\nhost=cached.sim.example\n\n")
            XCTAssertEqual(r.status, 0, r.stderrText)
            XCTAssertEqual(attributes(r.stdoutText)["password"], password["git-team"])
        }
        XCTAssertEqual(try env.a2aFetches(), 1, "the second get was served from the Secret Service")
        // A cached answer is read through libsecret (the only Secret Service client); it needs
        // neither the network nor libcrypto.
        env.extra["LD_DEBUG"] = "files"
        let traced = try helper("get", "protocol=https\nhost=cached.sim.example\n\n")
        env.extra["LD_DEBUG"] = nil
        XCTAssertEqual(attributes(traced.stdoutText)["password"], password["git-team"])
        XCTAssertTrue(traced.stderrText.contains("libsecret-1.so.0"), "read through libsecret")
        for library in ["libcurl", "libcrypto"] {
            XCTAssertFalse(traced.stderrText.contains(library), "\(library) loaded for a cached answer")
        }
        XCTAssertEqual(try items(session, "session").count, 1, "the cached copy is in the in-memory session collection")
        XCTAssertEqual(try items(session, "login").count, 0, "never in the login keyring")

        XCTAssertEqual(try helper("store", "protocol=https\nhost=example.com\nusername=u\npassword=p\n\n").status, 0)
        XCTAssertEqual(try items(session, "login").count, 1, "store-unmapped keeps credentials in the login keyring")
        XCTAssertEqual(try helper("get", "protocol=https\nhost=example.com\n\n").stdoutText, "username=u\npassword=p\n")
        let lookup = try session.run(["secret-tool", "lookup", "service", "git:https://example.com/", "username", "u"])
        XCTAssertTrue(lookup.stdout.hasSuffix("\np"), "libsecret tools see it: \(lookup.stdout)")

        // erase drops the cached copy from the session collection.
        XCTAssertEqual(try helper("erase", "protocol=https\nhost=cached.sim.example\n\n").status, 0)
        XCTAssertEqual(try items(session, "session").count, 0)
        XCTAssertEqual(try items(session, "login").count, 1)
    }
}
