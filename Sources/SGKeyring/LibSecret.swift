import CSecretShim
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// The Secret Service through libsecret, sg's only client for it, loaded on first use
/// (CSecretShim), with libsecret's default encrypted session. Every call runs under
/// `timeoutMs`; nothing here asks the daemon to unlock (no prompts).
///
///     let found = try LibSecret.search(["service": "isp-alice"], loadSecrets: true, timeoutMs: 1500)
enum LibSecret {
    /// A libsecret/GDBus failure, with the GError's domain and code.
    struct Failure: Error, CustomStringConvertible {
        let domain: String
        let code: Int32
        let message: String
        let timedOut: Bool
        var description: String { message }

        init(_ e: sgsecret_error) {
            var e = e
            domain = withUnsafeBytes(of: &e.domain) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            message = withUnsafeBytes(of: &e.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            code = e.code
            timedOut = e.timed_out != 0
        }

        init(message: String) {
            domain = "sg"; code = -1; self.message = message; timedOut = false
        }
    }

    static var isLoaded: Bool { sgsecret_is_loaded() != 0 }

    static func load() throws {
        var buf = [CChar](repeating: 0, count: 256)
        if sgsecret_load(&buf, buf.count) != 0 {
            throw Failure(message: String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    enum Presence { case owned, activatable, absent }

    /// Asks the session bus (GDBus) whether `org.freedesktop.secrets` is owned or activatable.
    static func probe(timeoutMs: Int) throws -> Presence {
        try load()
        var err = sgsecret_error()
        switch sgsecret_probe(Int32(timeoutMs), &err) {
        case 1: return .owned
        case 2: return .activatable
        case 0: return .absent
        default: throw Failure(err)
        }
    }

    /// Runs `body` with a NULL-terminated C array of name/value pairs.
    static func withAttributes<R>(_ attributes: [String: String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
        var owned: [UnsafeMutablePointer<CChar>?] = []
        for (k, v) in attributes.sorted(by: { $0.key < $1.key }) { owned.append(strdup(k)); owned.append(strdup(v)) }
        defer { owned.forEach { free($0) } }
        var ptrs: [UnsafePointer<CChar>?] = owned.map { UnsafePointer($0) }
        ptrs.append(nil)
        return try ptrs.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    static func store(collection: String, label: String, attributes: [String: String], secret: SecretBytes, timeoutMs: Int) throws {
        var err = sgsecret_error()
        let rc = withAttributes(attributes) { attrs in
            secret.withCString { s in sgsecret_store(collection, label, attrs, s, Int32(timeoutMs), &err) }
        }
        if rc != 0 { throw Failure(err) }
    }

    static func search(_ attributes: [String: String], loadSecrets: Bool, timeoutMs: Int) throws -> [KeyringItem] {
        try collect { cb, box, err in
            withAttributes(attributes) { sgsecret_search($0, loadSecrets ? 1 : 0, Int32(timeoutMs), cb, box, err) }
        }
    }

    /// Runs a search entry point with a callback that copies each item out.
    private static func collect(_ run: (sgsecret_item_cb, UnsafeMutableRawPointer, UnsafeMutablePointer<sgsecret_error>) -> Int32) throws -> [KeyringItem] {
        final class Box { var items: [KeyringItem] = [] }
        let box = Box()
        var err = sgsecret_error()
        let rc = run({ ctx, label, pairs, locked, bytes, length in
                let box = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
                var attrs: [String: String] = [:]
                var p = pairs!
                while let k = p[0], let v = p[1] {
                    attrs[String(cString: k)] = String(cString: v)
                    p += 2
                }
                // Copied straight from libsecret's (wiped) memory into wiped memory.
                let secret = bytes.map { SecretBytes(bytes: UnsafeBufferPointer(start: $0, count: length)) }
                box.items.append(KeyringItem(service: attrs["service"] ?? "", account: attrs["username"] ?? "",
                                             label: label.map { String(cString: $0) } ?? "", attributes: attrs,
                                             secret: secret, locked: locked != 0))
            }, Unmanaged.passUnretained(box).toOpaque(), &err)
        if rc < 0 { throw Failure(err) }
        return box.items
    }

    @discardableResult
    static func clear(_ attributes: [String: String], timeoutMs: Int) throws -> Bool {
        var err = sgsecret_error()
        let rc = withAttributes(attributes) { sgsecret_clear($0, Int32(timeoutMs), &err) }
        if rc < 0 { throw Failure(err) }
        return rc == 1
    }

    enum LockState { case locked, unlocked, missing }

    static func lockState(alias: String, timeoutMs: Int) throws -> LockState {
        var err = sgsecret_error()
        switch sgsecret_collection_locked(alias, Int32(timeoutMs), &err) {
        case 1: return .locked
        case 0: return .unlocked
        case 2: return .missing
        default: throw Failure(err)
        }
    }
}
