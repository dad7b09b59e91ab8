import Foundation
import SGCore
import SGKeyring
import SGResolver
@testable import SGTools
import SGTestSupport
import XCTest

/// `git-credential-sg get|store|erase` decided in-process: which requests are answered, from where,
/// and what is written. Fetches go through a counting `resolve` closure; both cache collections are
/// real encrypted file keyrings in a temporary folder, opened through the helper's `cache` closure.
final class GitCredentialHelperTests: XCTestCase {
    private var dir: URL!
    /// How many times the helper fetched, per secret.
    private var fetches: [String: Int] = [:]
    /// Which collections the helper opened, in order.
    private var opened: [GitCacheCollection] = []
    /// What the next fetch returns, per secret (default: "<name>-pw").
    private var values: [String: String] = [:]

    override func setUpWithError() throws {
        dir = try TestPaths.makeTempDir("git-helper")
        fetches = [:]
        opened = []
        values = [:]
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    private func config(storeUnmapped: Bool = false, ttl: Int? = nil) throws -> Config {
        try ConfigLoader.parse("""
            version: 1
            secrets:
              team: {api-key: {env: SGT_UNUSED_1}, username: svc-team}
              host: {api-key: {env: SGT_UNUSED_2}}
            git:
              store-unmapped: \(storeUnmapped)
              rules:
                - {url: "https://git.corp/team", secret: team\(ttl.map { ", cache-ttl: \($0)" } ?? "")}
                - {url: "https://plain.corp", secret: host, username: deploy}
            """, file: "/x/config.yaml")
    }

    private func backend(_ collection: GitCacheCollection) throws -> FileKeyring {
        try FileKeyring(directory: dir.appendingPathComponent(collection.rawValue).path, passphrase: nil)
    }

    private func helper(_ config: Config, cacheFails: Bool = false) -> GitCredentialHelper {
        GitCredentialHelper(
            config: config,
            resolve: { [unowned self] spec in
                fetches[spec.name, default: 0] += 1
                return ResolvedSecret(value: SecretBytes(string: values[spec.name] ?? "\(spec.name)-pw"),
                                      username: spec.username, kind: .password)
            },
            cache: { [unowned self] collection in
                opened.append(collection)
                if cacheFails { throw SGError.keyringUnavailable("test: no keyring") }
                return KeyringGitCache(backend: try backend(collection))
            },
            gitConfigSecret: { _ in nil })
    }

    private func request(_ host: String, _ path: String? = nil, user: String? = nil, password: String? = nil,
                         proto: String = "https") -> GitCredential {
        var r = GitCredential(protocol: proto, host: host, path: path, username: user)
        r.password = password.map { SecretBytes(string: $0) }
        return r
    }

    /// Every item the helper left in a collection, as "service account".
    private func stored(_ collection: GitCacheCollection) throws -> [String] {
        try backend(collection).search(attributes: [:], loadSecrets: false).map { "\($0.service) \($0.account)" }.sorted()
    }

    func testActionWordsOtherThanGetStoreEraseAreIgnored() {
        XCTAssertNotNil(GitCredentialHelper.Action("get"))
        XCTAssertNotNil(GitCredentialHelper.Action("store"))
        XCTAssertNotNil(GitCredentialHelper.Action("erase"))
        for word in ["GET", "capability", "", "list", "get "] { XCTAssertNil(GitCredentialHelper.Action(word), word) }
    }

    func testMappedGetFetchesOnceThenAnswersFromTheSessionCache() throws {
        let h = helper(try config())
        let first = try XCTUnwrap(h.run(.get, request("git.corp", "team/repo.git")))
        XCTAssertEqual(first.username, "svc-team", "the secret's user when the rule names none")
        XCTAssertEqual(first.password.unsafeString(), "team-pw")
        let expiry = try XCTUnwrap(first.passwordExpiryUTC, "a cached answer tells git when it expires")
        XCTAssertEqual(Double(expiry), WallClock.now + 300, accuracy: 5)

        values["team"] = "rotated"
        let second = try XCTUnwrap(h.run(.get, request("git.corp", "team/other.git")))
        XCTAssertEqual(second.password.unsafeString(), "team-pw", "served from the cache, not fetched again")
        XCTAssertEqual(second.passwordExpiryUTC, expiry)
        XCTAssertEqual(fetches, ["team": 1])
        XCTAssertEqual(opened, [.session, .session, .session], "lookup, store, lookup: never the persistent collection")
        XCTAssertEqual(try stored(.session), ["sg-git:team svc-team"])
        XCTAssertEqual(try stored(.persistent), [])
    }

    func testRuleUsernameWinsAndTTLZeroNeverCaches() throws {
        let h = helper(try config(ttl: 0))
        let a = try XCTUnwrap(h.run(.get, request("plain.corp")))
        XCTAssertEqual(a.username, "deploy")
        let b = try XCTUnwrap(h.run(.get, request("git.corp", "team/x.git")))
        XCTAssertNil(b.passwordExpiryUTC)
        _ = try h.run(.get, request("git.corp", "team/x.git"))
        XCTAssertEqual(fetches["team"], 2, "cache-ttl: 0 fetches every time")
        XCTAssertEqual(opened.filter { $0 == .session }.count, 2, "only plain.corp's cached copy is looked up and stored")
        XCTAssertEqual(try stored(.session), ["sg-git:host deploy"])
    }

    func testPathRuleAnswersOnlyWhenGitSendsThePath() throws {
        let h = helper(try config())
        // Without credential.useHttpPath git sends no path: a path rule cannot match.
        XCTAssertNil(try h.run(.get, request("git.corp")))
        XCTAssertNil(try h.run(.get, request("git.corp", "other/repo.git")))
        XCTAssertNil(try h.run(.get, request("git.corp", "teamwork/repo.git")), "prefixes end on a path component")
        XCTAssertNil(try h.run(.get, request("git.corp", "team/repo.git", proto: "http")), "no allow-http on the rule")
        XCTAssertEqual(fetches, [:])
        XCTAssertEqual(opened, [], "an unanswered request opens no keyring")
        XCTAssertEqual(try h.run(.get, request("git.corp", "team/repo.git"))?.password.unsafeString(), "team-pw")
    }

    func testNoRuleMeansNoAnswerAndNoKeyringForEveryAction() throws {
        let h = helper(try config())
        XCTAssertNil(try h.run(.get, request("github.com", "me/repo.git")))
        XCTAssertNil(try h.run(.store, request("github.com", "me/repo.git", user: "me", password: "pat")))
        XCTAssertNil(try h.run(.erase, request("github.com", "me/repo.git", user: "me", password: "pat")))
        XCTAssertEqual(fetches, [:])
        XCTAssertEqual(opened, [], "git asks its next helper; sg touches nothing")
    }

    func testStoreOfAMappedHostNeverWritesEvenWithStoreUnmapped() throws {
        let h = helper(try config(storeUnmapped: true))
        XCTAssertNil(try h.run(.store, request("git.corp", "team/repo.git", user: "svc-team", password: "typed-by-git")))
        XCTAssertNil(try h.run(.store, request("plain.corp", user: "deploy", password: "typed-by-git")))
        XCTAssertEqual(opened, [], "nothing is written to Safeguard or to a cache on store")
        XCTAssertEqual(fetches, [:])
        XCTAssertEqual(try stored(.persistent), [])
    }

    func testEraseOfAMappedHostKeepsANewerCachedCopy() throws {
        let h = helper(try config())
        _ = try h.run(.get, request("git.corp", "team/repo.git"))
        // Another process already refreshed the copy after a rotation: git's rejected password is older.
        XCTAssertNil(try h.run(.erase, request("git.corp", "team/repo.git", user: "svc-team", password: "stale")))
        XCTAssertEqual(try stored(.session), ["sg-git:team svc-team"])
        // The rejected password is the cached one: it goes, and the next get fetches again.
        XCTAssertNil(try h.run(.erase, request("git.corp", "team/repo.git", user: "svc-team", password: "team-pw")))
        XCTAssertEqual(try stored(.session), [])
        _ = try h.run(.get, request("git.corp", "team/repo.git"))
        XCTAssertEqual(fetches["team"], 2)
        // Without a password, erase drops the copy.
        XCTAssertNil(try h.run(.erase, request("git.corp", "team/repo.git")))
        XCTAssertEqual(try stored(.session), [])
        XCTAssertFalse(opened.contains(.persistent))
    }

    func testAnUnusableSessionCacheStillAnswersByFetching() throws {
        let h = helper(try config(), cacheFails: true)
        let answer = try XCTUnwrap(h.run(.get, request("git.corp", "team/repo.git")))
        XCTAssertEqual(answer.password.unsafeString(), "team-pw")
        XCTAssertNil(answer.passwordExpiryUTC, "not cached, so no expiry is promised")
        XCTAssertEqual(fetches["team"], 1)
        XCTAssertEqual(opened, [.session, .session])
    }

    func testAFetchedValueGitCannotTakeIsRefusedBeforeItIsCached() throws {
        let h = helper(try config())
        for bad in ["line\nbreak", "carriage\rreturn", "nul\u{0}byte"] {
            values["team"] = bad
            XCTAssertThrowsError(try h.run(.get, request("git.corp", "team/repo.git"))) { e in
                XCTAssertEqual((e as? SGError)?.exitCode, .dataError, "\(e)")
            }
        }
        XCTAssertEqual(try stored(.session), [])
    }

    func testStoreUnmappedKeepsCredentialsPerPathAndEraseWithoutPathDropsThemAll() throws {
        let h = helper(try config(storeUnmapped: true))
        XCTAssertNil(try h.run(.store, request("github.com", "a/one.git", user: "me", password: "pat-1")))
        XCTAssertNil(try h.run(.store, request("GitHub.com", "a/two.git", user: "me", password: "pat-2")))
        XCTAssertNil(try h.run(.store, request("github.com", nil, user: "other", password: "pat-3")))
        XCTAssertEqual(try stored(.persistent), ["git:https://github.com/ other", "git:https://github.com/a/one.git me",
                                                 "git:https://github.com/a/two.git me"])
        XCTAssertEqual(try h.run(.get, request("github.com", "a/two.git"))?.password.unsafeString(), "pat-2")
        XCTAssertEqual(try h.run(.get, request("github.com", "a/one.git", user: "me"))?.password.unsafeString(), "pat-1")
        XCTAssertNil(try h.run(.get, request("github.com", "a/one.git", user: "nobody")))
        XCTAssertNil(try h.run(.get, request("github.com", "a/one.git", proto: "http")), "protocol is part of the key")
        // A rejected password that differs from the stored one erases nothing.
        XCTAssertNil(try h.run(.erase, request("github.com", "a/one.git", user: "me", password: "wrong")))
        XCTAssertEqual(try stored(.persistent).count, 3)
        // Without a path (no useHttpPath), erase matches every path of the host, for that user.
        XCTAssertNil(try h.run(.erase, request("github.com", nil, user: "me")))
        XCTAssertEqual(try stored(.persistent), ["git:https://github.com/ other"])
        XCTAssertFalse(opened.contains(.session))
        XCTAssertEqual(fetches, [:])
    }

    func testStoreUnmappedRefusesWhatItCouldNotGiveBackAndSkipsExpired() throws {
        let h = helper(try config(storeUnmapped: true))
        XCTAssertThrowsError(try h.run(.store, request("github.com", "x.git", user: "me", password: "a\nb"))) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .dataError)
            XCTAssertFalse("\(e)".contains("a\nb"), "the value is not in the message")
        }
        var withToken = request("github.com", "x.git", user: "me", password: "p")
        withToken.oauthRefreshToken = SecretBytes(string: "t\u{0}t")
        XCTAssertThrowsError(try h.run(.store, withToken))
        var expired = request("github.com", "x.git", user: "me", password: "p")
        expired.passwordExpiryUTC = Int64(WallClock.now) - 10
        XCTAssertNil(try h.run(.store, expired))
        XCTAssertNil(try h.run(.store, request("github.com", "x.git", user: nil, password: "p")), "no user: nothing to key it by")
        XCTAssertEqual(try stored(.persistent), [])
        // An erase with an empty host would match everything: refused.
        XCTAssertNil(try h.run(.store, request("github.com", "x.git", user: "me", password: "p")))
        XCTAssertNil(try h.run(.erase, request("", nil)))
        XCTAssertEqual(try stored(.persistent).count, 1)
    }

    func testStoredRefreshTokenAndExpiryComeBackOnGet() throws {
        let h = helper(try config(storeUnmapped: true))
        var r = request("github.com", "x.git", user: "me", password: "p")
        r.oauthRefreshToken = SecretBytes(string: "refresh-me")
        r.passwordExpiryUTC = Int64(WallClock.now) + 3600
        XCTAssertNil(try h.run(.store, r))
        let a = try XCTUnwrap(h.run(.get, request("github.com", "x.git")))
        XCTAssertEqual(a.username, "me")
        XCTAssertEqual(a.password.unsafeString(), "p")
        XCTAssertEqual(a.oauthRefreshToken?.unsafeString(), "refresh-me")
        XCTAssertEqual(a.passwordExpiryUTC, r.passwordExpiryUTC)
    }
}
