import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// The encrypted file backend, for hosts with no Secret Service (cron, servers, containers).
///
/// One folder per user (0700), default `~/.local/state/sg/keyring/`, holding:
/// - `keyring`: the items, AES-256-GCM sealed (0600), replaced atomically on every change;
/// - `keyring.key`: a random 32-byte key (0600), unless `SG_KEYRING_PASSPHRASE` is set when the
///   file is created, in which case the key is scrypt(passphrase, stored salt);
/// - `keyring.lock`: the `flock` every read-modify-write holds, so concurrent cron jobs lose
///   nothing.
/// Every open, for reading or writing, drops the items that have expired (`ItemExpiry`).
/// A file that cannot be parsed or decrypted with the key file is renamed
/// `keyring.corrupt-<time>` with one warning on stderr and a new empty keyring starts; a wrong
/// passphrase is an error instead (the file is kept). See docs/keyring.md for the format.
///
///     let kr = try FileKeyring(directory: FileKeyring.defaultDirectory())
///     try kr.store(service: "isp-alice", account: "ark", secret: json)
public final class FileKeyring: KeyringBackend, @unchecked Sendable {
    public let kind = KeyringKind.file
    public let directory: String
    public var location: String { directory }
    let passphrase: SecretBytes?
    /// How long a process waits for another's read-modify-write.
    public var lockTimeout: Double = 30

    public var dataPath: String { directory + "/keyring" }
    public var keyPath: String { directory + "/keyring.key" }
    public var lockPath: String { directory + "/keyring.lock" }

    static let format = "sg-keyring"
    static let version = 1

    /// `passphrase` defaults to `SG_KEYRING_PASSPHRASE`.
    public init(directory: String, passphrase: SecretBytes? = FileKeyring.environmentPassphrase()) throws {
        let home = Environment.home()
        let ark = home + "/.ark_cache"
        if directory == ark || directory.hasPrefix(ark + "/") {
            throw SGError.config("keyring folder \(directory) is inside ~/.ark_cache, which belongs to ark-sdk-python; choose another keyring.file")
        }
        self.directory = directory
        self.passphrase = passphrase
    }

    public static func environmentPassphrase() -> SecretBytes? {
        guard let p = getenv("SG_KEYRING_PASSPHRASE"), p.pointee != 0 else { return nil }
        return SecretBytes(bytes: UnsafeRawBufferPointer(start: p, count: strlen(p)))
    }

    /// `$SG_KEYRING_DIR`, else `keyring.file` from config, else `$XDG_STATE_HOME/sg/keyring`,
    /// else `~/.local/state/sg/keyring`.
    public static func defaultDirectory(config: KeyringConfig = KeyringConfig(),
                                        environment env: [String: String] = Environment.current) -> String {
        if let d = env["SG_KEYRING_DIR"], !d.isEmpty { return d }
        if let d = config.directory, !d.isEmpty { return d }
        if let x = env["XDG_STATE_HOME"], x.hasPrefix("/") { return x + "/sg/keyring" }
        return Environment.home(env) + "/.local/state/sg/keyring"
    }

    // MARK: KeyringBackend

    public func store(service: String, account: String, secret: SecretBytes) throws {
        try modify { items in
            items.removeAll { $0.service == service && $0.account == account }
            items.append(KeyringItem(service: service, account: account,
                                     label: KeyringItem.label(service: service, account: account),
                                     attributes: KeyringItem.attributes(service: service, account: account),
                                     secret: secret))
            return true
        }
    }

    public func lookup(service: String, account: String) throws -> SecretBytes? {
        try read().first { $0.service == service && $0.account == account }?.secret
    }

    @discardableResult
    public func delete(service: String, account: String) throws -> Bool {
        var removed = false
        try modify { items in
            let before = items.count
            items.removeAll { $0.service == service && $0.account == account }
            removed = items.count != before
            return removed
        }
        return removed
    }

    public func search(attributes: [String: String], loadSecrets: Bool) throws -> [KeyringItem] {
        try read().filter { item in attributes.allSatisfy { item.attributes[$0.key] == $0.value } }.map {
            var item = $0
            if !loadSecrets { item.secret = nil }
            return item
        }
    }

    /// Deletes every item (the files go; the folder stays).
    public func removeAll() throws {
        try prepareFolder()
        let lock = try FileLock.acquire(lockPath, timeout: lockTimeout)
        defer { lock.unlock() }
        unlink(dataPath)
    }

    // MARK: reading and writing under the lock

    /// All items, read under the lock; expired ones are dropped from the file first.
    public func read() throws -> [KeyringItem] {
        guard FileSafety.exists(directory) else { return [] }
        try prepareFolder()
        let lock = try FileLock.acquire(lockPath, timeout: lockTimeout)
        defer { lock.unlock() }
        var items = try loadLocked()
        if Self.dropExpired(&items) { try saveLocked(items) }
        return items
    }

    /// Read-modify-write of the item list under the lock. `change` returns whether it changed;
    /// expired items are dropped whether it did or not.
    func modify(_ change: (inout [KeyringItem]) throws -> Bool) throws {
        try prepareFolder()
        let lock = try FileLock.acquire(lockPath, timeout: lockTimeout)
        defer { lock.unlock() }
        var items = try loadLocked()
        let dropped = Self.dropExpired(&items)
        if try change(&items) || dropped { try saveLocked(items) }
    }

    /// Removes every item past its time (ItemExpiry): a git credential whose cache-ttl ran out
    /// must not stay decryptable on disk until someone asks for that same name again.
    static func dropExpired(_ items: inout [KeyringItem], at now: Instant = Instant.now) -> Bool {
        let before = items.count
        items.removeAll { $0.secret.map { ItemExpiry.isExpired($0, at: now) } ?? false }
        return items.count != before
    }

    func prepareFolder() throws {
        try PrivateFiles.ensurePrivateDirectory(directory)
    }

    struct Envelope {
        var kdf: String               // "key-file" | "scrypt"
        var salt: [UInt8] = []
        var scrypt = AESGCM.ScryptParameters()
        var nonce: [UInt8]
        var sealed: [UInt8]

        /// Authenticated with the data, so the header cannot be swapped.
        var aad: [UInt8] {
            var s = "\(FileKeyring.format)/\(FileKeyring.version)/\(kdf)"
            if kdf == "scrypt" { s += "/\(Base64.encode(salt))/\(scrypt.n)/\(scrypt.r)/\(scrypt.p)" }
            return Array(s.utf8)
        }

        func serialized() -> [UInt8] {
            var kdfObject: [(String, JSONValue)] = [("name", .text(kdf))]
            if kdf == "scrypt" {
                kdfObject += [("salt", .text(Base64.encode(salt))), ("n", .number(String(scrypt.n))),
                              ("r", .number(String(scrypt.r))), ("p", .number(String(scrypt.p)))]
            }
            let doc = JSONValue.object([
                ("format", .text(FileKeyring.format)), ("version", .number(String(FileKeyring.version))),
                ("kdf", .object(kdfObject)),
                ("nonce", .text(Base64.encode(nonce))),
                ("data", .text(Base64.encode(sealed))),
            ])
            return doc.serialized().unsafeArray() + [0x0A]
        }

        static func parse(_ bytes: [UInt8]) -> Envelope? {
            guard let doc = try? JSONValue.parse(SecretBytes(bytes: bytes)),
                  doc["format"]?.text == FileKeyring.format,
                  case .number(let v)? = doc["version"], v == String(FileKeyring.version),
                  let kdfDoc = doc["kdf"], let kdf = kdfDoc["name"]?.text,
                  let nonce = doc["nonce"]?.text.flatMap({ Base64.decode($0) }),
                  let sealed = doc["data"]?.text.flatMap({ Base64.decode($0) }) else { return nil }
            var env = Envelope(kdf: kdf, nonce: Array(nonce), sealed: Array(sealed))
            switch kdf {
            case "key-file": break
            case "scrypt":
                guard let salt = kdfDoc["salt"]?.text.flatMap({ Base64.decode($0) }),
                      case .number(let n)? = kdfDoc["n"], case .number(let r)? = kdfDoc["r"], case .number(let p)? = kdfDoc["p"],
                      let nn = UInt64(n), let rr = UInt64(r), let pp = UInt64(p) else { return nil }
                env.salt = Array(salt)
                env.scrypt = AESGCM.ScryptParameters(n: nn, r: rr, p: pp)
            default: return nil
            }
            return env
        }
    }

    func loadLocked() throws -> [KeyringItem] {
        guard let bytes = try PrivateFiles.read(dataPath) else { return [] }
        tightenMode(dataPath)
        guard let env = Envelope.parse(bytes) else {
            setAside("it is not an sg keyring file")
            return []
        }
        let key: SecretBytes
        switch env.kdf {
        case "scrypt":
            guard let passphrase else {
                throw SGError.keyringUnavailable("\(dataPath) is encrypted with a passphrase; set SG_KEYRING_PASSPHRASE")
            }
            do { key = try AESGCM.scrypt(passphrase, salt: env.salt, parameters: env.scrypt) } catch {
                setAside("its scrypt parameters are invalid")
                return []
            }
            guard let plain = AESGCM.open(env.sealed, key: key, nonce: env.nonce, aad: env.aad) else {
                throw SGError.keyringUnavailable("cannot decrypt \(dataPath): wrong SG_KEYRING_PASSPHRASE? (the file is kept)")
            }
            return decodeItems(plain)
        default:
            guard let k = try readKeyFile() else {
                setAside("its key file \(keyPath) is missing")
                return []
            }
            key = k
            guard let plain = AESGCM.open(env.sealed, key: key, nonce: env.nonce, aad: env.aad) else {
                setAside("it does not decrypt with \(keyPath)")
                return []
            }
            return decodeItems(plain)
        }
    }

    func decodeItems(_ plain: SecretBytes) -> [KeyringItem] {
        guard let doc = try? JSONValue.parse(plain),
              case .array(let list)? = doc["items"] else {
            setAside("its contents are not valid")
            return []
        }
        var items: [KeyringItem] = []
        for entry in list {
            guard let service = entry["service"]?.text, let account = entry["account"]?.text,
                  case .string(let secret)? = entry["secret"] else { continue }
            var attrs: [String: String] = [:]
            if case .object(let pairs)? = entry["attributes"] {
                for (k, v) in pairs { if let s = v.text { attrs[k] = s } }
            } else {
                attrs = KeyringItem.attributes(service: service, account: account)
            }
            items.append(KeyringItem(service: service, account: account,
                                     label: entry["label"]?.text ?? KeyringItem.label(service: service, account: account),
                                     attributes: attrs, secret: secret))
        }
        return items
    }

    func saveLocked(_ items: [KeyringItem]) throws {
        let doc = JSONValue.object([("items", .array(items.map { item in
            .object([
                ("service", .text(item.service)), ("account", .text(item.account)), ("label", .text(item.label)),
                ("attributes", .object(item.attributes.sorted { $0.key < $1.key }.map { ($0.key, .text($0.value)) })),
                ("secret", .string(item.secret ?? SecretBytes(bytes: []))),
            ])
        }))])
        let plain = doc.serialized()
        var env: Envelope
        let key: SecretBytes
        do {
            if let passphrase {
                env = Envelope(kdf: "scrypt", salt: try AESGCM.randomBytes(16), nonce: try AESGCM.randomBytes(AESGCM.nonceLength), sealed: [])
                key = try AESGCM.scrypt(passphrase, salt: env.salt, parameters: env.scrypt)
            } else {
                env = Envelope(kdf: "key-file", nonce: try AESGCM.randomBytes(AESGCM.nonceLength), sealed: [])
                key = try readKeyFile() ?? createKeyFile()
            }
            env.sealed = try AESGCM.seal(plain, key: key, nonce: env.nonce, aad: env.aad)
        } catch let f as AESGCM.Failure {
            throw SGError.internalError("file keyring: \(f.reason)")
        }
        let bytes = env.serialized()
        try bytes.withUnsafeBytes { raw in try AtomicFile.replace(dataPath) { try WriteAll.write(raw, to: $0) } }
    }

    /// The key file's 32 bytes; nil when missing or the wrong size.
    func readKeyFile() throws -> SecretBytes? {
        guard FileSafety.exists(keyPath) else { return nil }
        tightenMode(keyPath)
        let key = try FileSafety.readFile(keyPath) { SecretBytes(bytes: $0) }
        return key.count == AESGCM.keyLength ? key : nil
    }

    func createKeyFile() throws -> SecretBytes {
        let key = try AESGCM.randomKey()
        try key.withUnsafeBytes { bytes in try AtomicFile.replace(keyPath) { try WriteAll.write(bytes, to: $0) } }
        return key
    }

    func tightenMode(_ path: String) {
        var st = stat()
        if stat(path, &st) == 0, st.st_uid == getuid(), st.st_mode & 0o077 != 0 { chmod(path, 0o600) }
    }

    /// Renames an unusable keyring aside and says so once on stderr; never fatal.
    func setAside(_ reason: String) {
        var t = tm()
        var now = time(nil)
        gmtime_r(&now, &t)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let stamp = pad(t.tm_year + 1900, 4) + pad(t.tm_mon + 1, 2) + pad(t.tm_mday, 2) + "T" + pad(t.tm_hour, 2) + pad(t.tm_min, 2) + pad(t.tm_sec, 2) + "Z"
        var target = "\(dataPath).corrupt-\(stamp)"
        if FileSafety.exists(target) { target += "-\(getpid())" }
        let moved = rename(dataPath, target) == 0
        let tool = CommandLine.arguments.first.map(lastPathComponent(of:)) ?? "sg"
        if moved {
            Stderr.write("\(tool): warning: \(dataPath) was unreadable (\(reason)); moved it to \(target) and started an empty keyring\n")
        } else {
            Stderr.write("\(tool): warning: \(dataPath) is unreadable (\(reason)) and could not be moved aside: \(String(cString: strerror(errno)))\n")
        }
    }
}
