import SGCore
import SGResolver
@testable import SGTools
import SGKeyring
import Foundation
import XCTest

final class GitRulesTests: XCTestCase {
    func rules(_ specs: [(String, String, String?, Bool)], secrets: [String: SecretSpec] = [:]) -> GitRules {
        var g = GitConfig()
        for (url, secret, user, http) in specs {
            var r = GitRule(url: url, secret: secret)
            r.username = user
            r.allowHTTP = http
            g.rules.append(r)
        }
        return GitRules(g, secrets: secrets)
    }

    func req(_ proto: String, _ host: String, _ path: String? = nil, user: String? = nil) -> GitCredential {
        var c = GitCredential(protocol: proto, host: host, path: path, username: user)
        c.password = nil
        return c
    }

    func testLongestMatchOnComponentBoundaries() {
        let r = rules([("https://git.corp", "host", nil, false),
                       ("https://git.corp/team", "team", nil, false),
                       ("https://git.corp/team/special", "special", nil, false)])
        XCTAssertEqual(r.match(req("https", "git.corp"))?.rule.secret, "host")
        XCTAssertEqual(r.match(req("https", "GIT.corp", "team/repo.git"))?.rule.secret, "team")
        XCTAssertEqual(r.match(req("https", "git.corp", "team/special/x.git"))?.rule.secret, "special")
        XCTAssertEqual(r.match(req("https", "git.corp", "teammates/repo.git"))?.rule.secret, "host", "/team never matches /teammates")
        XCTAssertNil(r.match(req("https", "git.corp.evil.com")), "git.corp never matches git.corp.evil.com")
        XCTAssertNil(r.match(req("https", "evilgit.corp")))
        XCTAssertNil(r.match(req("https", "")))
        XCTAssertNil(r.match(GitCredential(protocol: nil, host: "git.corp")))
    }

    func testPathRulesNeedAPath() {
        let r = rules([("https://git.corp/team", "team", nil, false)])
        XCTAssertNil(r.match(req("https", "git.corp")), "without useHttpPath git sends no path")
        XCTAssertEqual(r.match(req("https", "git.corp", "team"))?.rule.secret, "team")
        XCTAssertEqual(r.match(req("https", "git.corp", "/team//repo.git"))?.rule.secret, "team")
    }

    func testPortsAndSchemes() {
        let r = rules([("https://git.corp", "default", nil, false), ("https://git.corp:8443", "alt", nil, false),
                       ("http://plain.corp", "plain", nil, true), ("https://strict.corp", "strict", nil, false)])
        XCTAssertEqual(r.match(req("https", "git.corp:443"))?.rule.secret, "default")
        XCTAssertEqual(r.match(req("https", "git.corp:8443"))?.rule.secret, "alt")
        XCTAssertNil(r.match(req("https", "git.corp:9999")))
        XCTAssertNil(r.match(req("http", "git.corp")), "http only where a rule allows it")
        XCTAssertNil(r.match(req("http", "strict.corp")))
        XCTAssertEqual(r.match(req("http", "plain.corp"))?.rule.secret, "plain")
        XCTAssertNil(r.match(req("https", "plain.corp")), "scheme must be equal")
        XCTAssertNil(r.match(req("ssh", "git.corp")))
        // An http rule without allow-http (the loader refuses it; the matcher ignores it too).
        XCTAssertNil(rules([("http://x.corp", "x", nil, false)]).match(req("http", "x.corp")))
    }

    func testUsernames() {
        var spec = SecretSpec(name: "team")
        spec.username = "svc-team"
        let r = rules([("https://git.corp", "team", nil, false), ("https://git.corp", "alice", "alice", false)],
                      secrets: ["team": spec])
        XCTAssertEqual(r.match(req("https", "git.corp"))?.rule.secret, "alice", "a rule naming the user wins a tie")
        XCTAssertEqual(r.match(req("https", "git.corp", user: "svc-team"))?.rule.secret, "team")
        XCTAssertEqual(r.match(req("https", "git.corp", user: "svc-team"))?.username, "svc-team")
        XCTAssertEqual(r.match(req("https", "git.corp", user: "alice"))?.username, "alice")
        XCTAssertNil(r.match(req("https", "git.corp", user: "mallory")))
        let free = rules([("https://free.corp", "x", nil, false)])
        XCTAssertEqual(free.match(req("https", "free.corp", user: "bob"))?.username, "bob")
        XCTAssertNil(free.match(req("https", "free.corp"))?.username)
    }

    func testPatternParsing() {
        XCTAssertNotNil(GitRules.Pattern(url: "https://[::1]:8443/x"))
        XCTAssertEqual(GitRules.Pattern(url: "https://[::1]:8443/x")?.port, 8443)
        XCTAssertNil(GitRules.Pattern(url: "https://user@host"))
        XCTAssertNil(GitRules.Pattern(url: "https://host:abc"))
        XCTAssertNil(GitRules.Pattern(url: "https://host/../x"))
        XCTAssertNil(GitRules.Pattern(url: "host/x"))
    }

    func testConfigProbeSkipsGitWhenNoFileMentionsTheKey() throws {
        let dir = NSTemporaryDirectory() + "probe-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        try FileManager.default.createDirectory(atPath: dir + "/repo/.git", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["HOME": dir, "GIT_CONFIG_NOSYSTEM": "1"]
        try "[user]\n\tname = x\n".write(toFile: dir + "/.gitconfig", atomically: true, encoding: .utf8)
        XCTAssertFalse(GitConfigProbe.mayDefine(environment: env, cwd: dir + "/repo"))
        try "[credential \"https://x\"]\n\tSGSECRET = a\n".write(toFile: dir + "/repo/.git/config", atomically: true, encoding: .utf8)
        XCTAssertTrue(GitConfigProbe.mayDefine(environment: env, cwd: dir + "/repo"))
        XCTAssertFalse(GitConfigProbe.mayDefine(environment: env, cwd: dir))
        try "[include]\n\tpath = other\n".write(toFile: dir + "/.gitconfig", atomically: true, encoding: .utf8)
        XCTAssertTrue(GitConfigProbe.mayDefine(environment: env, cwd: dir), "includes are followed by git itself")
        XCTAssertTrue(GitConfigProbe.mayDefine(environment: ["HOME": dir + "/none", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": "1"], cwd: "/"))
    }

    func testKeyringCacheStoresExpiresAndErases() throws {
        let dir = NSTemporaryDirectory() + "cache-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let backend = try FileKeyring(directory: dir + "/sub/git-session", passphrase: nil)
        let cache = KeyringGitCache(backend: backend)
        XCTAssertNil(try cache.lookup(service: "s", account: nil))
        try cache.store(service: "s", account: "a", value: SecretBytes(string: "v1 with spaces\n\u{0}and NUL"), expiresAt: nil)
        try cache.store(service: "s", account: "b", value: SecretBytes(string: "v2"), expiresAt: WallClock.now + 100)
        try cache.store(service: "s", account: "c", value: SecretBytes(string: "old"), expiresAt: WallClock.now - 1)
        try backend.store(service: "s", account: "foreign", secret: SecretBytes(string: "not ours"))
        XCTAssertEqual(try cache.lookup(service: "s", account: "a")?.value.unsafeString(), "v1 with spaces\n\u{0}and NUL")
        XCTAssertNil(try cache.lookup(service: "s", account: "a")?.expiresAt)
        XCTAssertEqual(try cache.lookup(service: "s", account: "b")?.expiresAt ?? 0, WallClock.now + 100, accuracy: 2)
        XCTAssertEqual(try cache.lookup(service: "s", account: nil)?.account, "a")
        XCTAssertNil(try cache.lookup(service: "s", account: "c"), "expired entries are not returned")
        XCTAssertNil(try backend.lookup(service: "s", account: "c"), "...and are deleted when seen")
        XCTAssertNil(try cache.lookup(service: "s", account: "foreign"), "items not written by the cache are ignored")
        XCTAssertEqual(try cache.entries(service: "s").map(\.account), ["a", "b"])
        try cache.store(service: "s", account: "a", value: SecretBytes(string: "v3"), expiresAt: nil)
        XCTAssertEqual(try cache.lookup(service: "s", account: "a")?.value.unsafeString(), "v3")
        XCTAssertEqual(try cache.erase(service: "s", account: "a"), 1)
        XCTAssertEqual(try cache.erase(service: "s", account: nil), 2)
        XCTAssertNil(try cache.lookup(service: "s", account: nil))
        // Encrypted at rest: the value is not in the file.
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/sub/git-session/keyring"))
        try cache.store(service: "s", account: "z", value: SecretBytes(string: "findable-plaintext"), expiresAt: nil)
        let after = try Data(contentsOf: URL(fileURLWithPath: dir + "/sub/git-session/keyring"))
        XCTAssertNotEqual(data, after)
        XCTAssertNil(after.range(of: Data("findable-plaintext".utf8)))
    }

    // MARK: dot segments (issue 13 item 2)

    func testDotSegmentsAndEncodedSeparatorsNeverMatchAPathRule() {
        let withHost = rules([("https://git.corp", "host", nil, false), ("https://git.corp/team", "team", nil, false)])
        let pathOnly = rules([("https://git.corp/team", "team", nil, false)])
        for path in ["team/../other/repo.git", "team/%2e%2e/other/repo.git", "team/%2E%2E/other/repo.git", "team/%2e%2E/other",
                     "team/.%2e/other", "team/./repo.git", "team/%2e/repo.git", "team/..", "team/x%2f..%2fother",
                     "team/x%2F..%2Fother", "team%2f..%2fother/repo.git", "team\\..\\other\\repo.git", "team/x%5c..%5cother",
                     "team/..;/other/repo.git", "team/..;jsessionid=1/other", "team/%2e%2e%3b/other", "team/.;x/repo.git"] {
            XCTAssertTrue(GitRules.hasAmbiguousSegments(path), path)
            XCTAssertNil(pathOnly.match(req("https", "git.corp", path)), "\(path) must not get team's password")
            XCTAssertEqual(withHost.match(req("https", "git.corp", path))?.rule.secret, "host", "host-only rules still match \(path)")
        }
        // Names that only look like dots are ordinary segments.
        for path in ["team/..repo.git", "team/repo..git", "team/.hidden/x.git", "team/...", "team/%2e%2e%2e", "team/%252e%252e/x"] {
            XCTAssertFalse(GitRules.hasAmbiguousSegments(path), path)
            XCTAssertEqual(pathOnly.match(req("https", "git.corp", path))?.rule.secret, "team", path)
        }
    }

    // MARK: credential.<url>.sgSecret (issue 13 item 3)

    func helper(_ config: Config, sgSecret: String?) -> GitCredentialHelper {
        GitCredentialHelper(config: config,
                            resolve: { _ in throw SGError.internalError("no fetch in this test") },
                            cache: { _ in throw SGError.internalError("no cache in this test") },
                            gitConfigSecret: { _ in sgSecret })
    }

    func testSgSecretChoosesOnlyASecretConfigTiesToGitForTheURL() throws {
        let config = try ConfigLoader.parse("""
            version: 1
            secrets:
              team: {api-key: {env: K1}, username: svc-team}
              other: {api-key: {env: K2}, git-urls: ["https://git.corp/other", "https://mirror.corp"]}
              loose: {api-key: {env: K3}}
            git:
              rules:
                - {url: "https://git.corp/team", secret: team}
            """, file: "/x/config.yaml")
        XCTAssertEqual(config.secrets["other"]?.gitURLs, ["https://git.corp/other", "https://mirror.corp"])
        func target(_ host: String, _ path: String?, _ name: String?) throws -> String? {
            try helper(config, sgSecret: name).target(for: req("https", host, path))?.secret
        }
        // Chosen where config allows it: a matching rule's secret, or a matching git-urls entry.
        XCTAssertEqual(try target("git.corp", "other/x.git", "other"), "other")
        XCTAssertEqual(try target("mirror.corp", nil, "other"), "other")
        XCTAssertEqual(try target("git.corp", "team/x.git", "team"), "team")
        XCTAssertEqual(try helper(config, sgSecret: "other").target(for: req("https", "mirror.corp"))?.ttl, 300)
        // A repository's .git/config cannot send a secret anywhere else.
        XCTAssertNil(try target("evil.example", nil, "loose"), "a secret never given to git")
        XCTAssertNil(try target("evil.example", nil, "team"), "team is git's only for git.corp/team")
        XCTAssertNil(try target("evil.example", "other/x.git", "other"))
        XCTAssertNil(try target("git.corp", nil, "other"), "git-urls with a path need the path")
        XCTAssertNil(try target("git.corp", "other/%2e%2e/team/x.git", "other"), "dot segments never match a path prefix")
        XCTAssertEqual(try target("git.corp", "team/x.git", "loose"), "team", "an untied choice is ignored; the rule answers")
        XCTAssertEqual(try target("git.corp", "team/x.git", "other"), "team")
        XCTAssertThrowsError(try target("evil.example", nil, "no-such-secret")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .unknownSecret)
        }
        // Without the git setting: rules only; git-urls alone answer nothing.
        XCTAssertEqual(try target("git.corp", "team/x.git", nil), "team")
        XCTAssertNil(try target("mirror.corp", nil, nil))
    }

    func testGitURLsMustBeHTTPSPrefixes() {
        for bad in ["http://git.corp", "https://user@git.corp", "https://git.corp/../x", "git.corp/x", "https://"] {
            XCTAssertThrowsError(try ConfigLoader.parse("version: 1\nsecrets:\n  s: {api-key: {env: K}, git-urls: [\"\(bad)\"]}\n",
                                                        file: "/x/config.yaml"), bad) { e in
                XCTAssertEqual((e as? SGError)?.exitCode, .config, bad)
                XCTAssertTrue((e as? SGError)?.message.contains("/x/config.yaml:3") == true, "\(e)")
            }
        }
    }

    // MARK: stored values (issue 13 item 10)

    func testStoredValueHoldsNoNULAndOldValuesStillRead() {
        let packed = GitCredentialHelper.pack(SecretBytes(string: "pass word"), SecretBytes(string: "refresh-token"))
        XCTAssertFalse(packed.unsafeArray().contains(0), "a C-string store must keep all of it")
        let (password, refresh) = GitCredentialHelper.unpack(packed)
        XCTAssertEqual(password.unsafeString(), "pass word")
        XCTAssertEqual(refresh?.unsafeString(), "refresh-token")
        XCTAssertNil(GitCredentialHelper.unpack(GitCredentialHelper.pack(SecretBytes(string: "p"), nil)).refresh)
        // What earlier versions wrote (password NUL token) on the file keyring.
        let old = GitCredentialHelper.unpack(SecretBytes(bytes: Array("p\u{0}t".utf8)))
        XCTAssertEqual(old.password.unsafeString(), "p")
        XCTAssertEqual(old.refresh?.unsafeString(), "t")
    }
}
