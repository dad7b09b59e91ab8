import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// One stored git credential: the secret, the account (user name) and when it stops being valid.
public struct GitCacheEntry: Sendable {
    public let account: String
    public let value: SecretBytes
    /// Wall-clock seconds; nil means no expiry.
    public let expiresAt: Double?

    public init(account: String, value: SecretBytes, expiresAt: Double?) {
        self.account = account
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// Where git-credential-sg keeps credentials between runs: (service, account) → secret with
/// expiry. Two collections are used: `.session` for the short-lived copies of A2A passwords (the
/// Secret Service's in-memory `session` collection, never the login keyring) and `.persistent`
/// for `git.store-unmapped` (like git-credential-libsecret). Expired entries are never returned.
public protocol GitCredentialCache: AnyObject {
    /// The entry for `account`, or with `account` nil the first entry of `service`.
    func lookup(service: String, account: String?) throws -> GitCacheEntry?
    /// Every unexpired entry of `service`, in storage order.
    func entries(service: String) throws -> [GitCacheEntry]
    /// Adds or replaces (service, account).
    func store(service: String, account: String, value: SecretBytes, expiresAt: Double?) throws
    /// Removes (service, account), or every account of `service` when `account` is nil; returns how many.
    @discardableResult
    func erase(service: String, account: String?) throws -> Int
}

public enum GitCacheCollection: String, Sendable {
    case session, persistent
}

/// A 0600 file of entries under a 0700 folder, rewritten atomically under an exclusive lock.
///
/// Interim backend until SGKeyring (branch `keyring`) provides the Secret Service and encrypted
/// file backends: the session collection lives in `$XDG_RUNTIME_DIR` (tmpfs, gone at logout)
/// when there is one. Values are stored as they are, as git-credential-store does.
public final class GitCredentialFileCache: GitCredentialCache {
    public let path: String

    public init(path: String) { self.path = path }

    /// The default file of a collection for this user.
    public static func defaultPath(_ collection: GitCacheCollection, config: KeyringConfig,
                                   environment env: [String: String] = Environment.current) -> String {
        if collection == .session, let run = env["XDG_RUNTIME_DIR"], !run.isEmpty, FileSafety.exists(run) {
            return run + "/sg/git-session"
        }
        let dir: String
        if let d = env["SG_KEYRING_DIR"], !d.isEmpty { dir = d }
        else if let d = config.directory { dir = d }
        else if let s = env["XDG_STATE_HOME"], !s.isEmpty { dir = s + "/sg/keyring" }
        else { dir = Environment.home(env) + "/.local/state/sg/keyring" }
        return dir + "/git-" + collection.rawValue
    }

    struct Record {
        var service: String
        var account: String
        var expiresAt: Double?
        var value: [UInt8]
    }

    public func lookup(service: String, account: String?) throws -> GitCacheEntry? {
        try locked(write: false) { records in
            let now = Clock.wallNow
            for r in records where r.service == service && (account == nil || r.account == account) {
                if let e = r.expiresAt, e <= now { continue }
                return GitCacheEntry(account: r.account, value: SecretBytes(bytes: r.value), expiresAt: r.expiresAt)
            }
            return nil
        }
    }

    public func entries(service: String) throws -> [GitCacheEntry] {
        try locked(write: false) { records in
            let now = Clock.wallNow
            return records.filter { $0.service == service && ($0.expiresAt ?? .infinity) > now }
                .map { GitCacheEntry(account: $0.account, value: SecretBytes(bytes: $0.value), expiresAt: $0.expiresAt) }
        }
    }

    public func store(service: String, account: String, value: SecretBytes, expiresAt: Double?) throws {
        try locked(write: true) { records in
            records.removeAll { $0.service == service && $0.account == account }
            records.append(Record(service: service, account: account, expiresAt: expiresAt, value: value.unsafeArray()))
        }
    }

    public func erase(service: String, account: String?) throws -> Int {
        try locked(write: true) { records in
            let before = records.count
            records.removeAll { $0.service == service && (account == nil || $0.account == account) }
            return before - records.count
        }
    }

    // MARK: file handling

    private func folder() -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    private func makeFolder(_ dir: String) throws {
        var partial = ""
        for comp in dir.split(separator: "/") {
            partial += "/" + comp
            if mkdir(partial, 0o700) != 0 && errno != EEXIST {
                throw SGError.io("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
        }
    }

    private func locked<R>(write: Bool, _ body: (inout [Record]) throws -> R) throws -> R {
        let dir = folder()
        if write { try makeFolder(dir) } else if !FileSafety.exists(path) {
            var none: [Record] = []
            return try body(&none)
        }
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lockFD >= 0 else { throw SGError.io("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lockFD) }
        while flock(lockFD, write ? LOCK_EX : LOCK_SH) != 0 {
            if errno != EINTR { throw SGError.io("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        var records = try load()
        defer { for i in records.indices { SecretBytes.wipe(&records[i].value) } }
        let result = try body(&records)
        if write { try save(records) }
        return result
    }

    private func load() throws -> [Record] {
        guard FileSafety.exists(path) else { return [] }
        try FileSafety.check(path, holdsSecrets: true)
        var bytes = try FileSafety.readBytes(path)
        defer { SecretBytes.wipe(&bytes) }
        var out: [Record] = []
        for line in bytes.split(separator: 0x0A) {
            let f = line.split(separator: 0x20, omittingEmptySubsequences: false)
            // A line that does not parse is dropped (a cache may lose entries, never crash).
            guard f.count == 4, let s = Base64.decode(f[0]), let a = Base64.decode(f[1]), var v = Base64.decode(f[3]) else { continue }
            let e = Double(String(decoding: f[2], as: UTF8.self))
            out.append(Record(service: String(decoding: s, as: UTF8.self), account: String(decoding: a, as: UTF8.self),
                              expiresAt: e.flatMap { $0 > 0 ? $0 : nil }, value: v))
            SecretBytes.wipe(&v)
        }
        return out
    }

    private func save(_ records: [Record]) throws {
        let now = Clock.wallNow
        let buf = SecretBuffer()
        for r in records {
            if let e = r.expiresAt, e <= now { continue }
            buf.append(Base64.encode(Array(r.service.utf8)) + " " + Base64.encode(Array(r.account.utf8)) + " ")
            buf.append(r.expiresAt.map { String(Int64($0)) } ?? "0")
            buf.append(" ")
            buf.append(SecretOutput.base64(SecretBytes(bytes: r.value)))
            buf.append("\n")
        }
        let tmp = path + ".tmp"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SGError.io("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let ok = buf.withUnsafeBytes { SecretOutput.writeAll(fd, $0) } && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw SGError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Standard base64 for the cache file's fields.
enum Base64 {
    static let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        let s = SecretOutput.base64(SecretBytes(bytes: bytes))
        return s.unsafeString()
    }

    static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var acc: UInt32 = 0, bits = 0
        for c in text {
            if c == 0x3D { break }
            guard let v = table.firstIndex(of: c) else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }
}
