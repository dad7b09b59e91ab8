import SGCore
@testable import SGResolver
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
        try cache.store(service: "s", account: "b", value: SecretBytes(string: "v2"), expiresAt: Clock.wallNow + 100)
        try cache.store(service: "s", account: "c", value: SecretBytes(string: "old"), expiresAt: Clock.wallNow - 1)
        try backend.store(service: "s", account: "foreign", secret: SecretBytes(string: "not ours"))
        XCTAssertEqual(try cache.lookup(service: "s", account: "a")?.value.unsafeString(), "v1 with spaces\n\u{0}and NUL")
        XCTAssertNil(try cache.lookup(service: "s", account: "a")?.expiresAt)
        XCTAssertEqual(try cache.lookup(service: "s", account: "b")?.expiresAt ?? 0, Clock.wallNow + 100, accuracy: 2)
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
}
