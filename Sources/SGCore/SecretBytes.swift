#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Bytes of a secret (password, API key, private key, token) that are wiped when released and
/// never print themselves.
///
/// `print(secret)`, string interpolation, `dump` and debug descriptions all show `<redacted>`.
/// Read the bytes only inside `withUnsafeBytes`; turn them into a `String` only at the last
/// moment an API needs one (`unsafeString()`), because a `String` cannot be wiped.
///
///     let key = try SecretBytes(string: "s3cr3t")
///     key.withUnsafeBytes { raw in write(fd, raw.baseAddress, raw.count) }
public final class SecretBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    /// The number of bytes.
    public var count: Int { countStored }
    public var isEmpty: Bool { countStored == 0 }

    /// Copies `bytes`; wipe the source yourself if you own it (`SecretBytes.wipe(&array)`).
    public init<C: Collection>(bytes: C) where C.Element == UInt8 {
        storage = .allocate(byteCount: Swift.max(bytes.count, 1), alignment: 16)
        var i = 0
        for b in bytes { storage[i] = b; i += 1 }
        if bytes.isEmpty { storage[0] = 0 }
        countStored = bytes.count
    }

    /// Copies the UTF-8 of `string` straight into wiped storage. (A `String` cannot be wiped; no
    /// further copy is made on the way, so there is none to forget.)
    public convenience init(string: String) {
        var s = string
        let count = s.utf8.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 16)
        buffer[0] = 0
        s.withUTF8 { utf8 in
            if let base = utf8.baseAddress { buffer.baseAddress!.copyMemory(from: base, byteCount: count) }
        }
        self.init(takingOwnershipOf: buffer, count: count)
    }

    /// Takes ownership of `buffer`, which must come from `UnsafeMutableRawBufferPointer.allocate`.
    public init(takingOwnershipOf buffer: UnsafeMutableRawBufferPointer, count: Int) {
        storage = buffer
        countStored = count
    }

    private let countStored: Int

    deinit {
        if let base = storage.baseAddress { explicit_bzero(base, storage.count) }
        storage.deallocate()
    }

    /// The secret's bytes, valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<countStored]))
    }

    /// A NUL-terminated copy for C APIs, wiped after `body` returns.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        let buf = UnsafeMutablePointer<CChar>.allocate(capacity: countStored + 1)
        defer {
            explicit_bzero(buf, countStored + 1)
            buf.deallocate()
        }
        withUnsafeBytes { raw in
            for i in 0..<raw.count { buf[i] = CChar(bitPattern: raw[i]) }
        }
        buf[countStored] = 0
        return try body(buf)
    }

    /// A `String` copy. It cannot be wiped: call only where an API insists on a `String`.
    public func unsafeString() -> String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// A plain array copy; the caller must wipe it (`SecretBytes.wipe`).
    public func unsafeArray() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Is this valid UTF-8?
    public var isValidUTF8: Bool {
        withUnsafeBytes { raw in
            var it = raw.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&it) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }

    /// True when the secret holds CR, LF or NUL (which would break line protocols).
    public var containsLineBreakOrNUL: Bool {
        withUnsafeBytes { $0.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0 } }
    }

    /// Does `needle` occur in these bytes?
    public func occurs(in haystack: [UInt8]) -> Bool {
        guard countStored > 0, haystack.count >= countStored else { return false }
        return withUnsafeBytes { needle in
            var i = 0
            while i + needle.count <= haystack.count {
                var match = true
                for j in 0..<needle.count where haystack[i + j] != needle[j] { match = false; break }
                if match { return true }
                i += 1
            }
            return false
        }
    }

    /// A new secret without one trailing "\n" (or "\r\n"), as read from files and commands.
    public func droppingTrailingNewline() -> SecretBytes {
        withUnsafeBytes { raw in
            var end = raw.count
            if end > 0, raw[end - 1] == 0x0A { end -= 1; if end > 0, raw[end - 1] == 0x0D { end -= 1 } }
            return SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<end]))
        }
    }

    /// Constant-time comparison.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                var diff: UInt8 = 0
                for i in 0..<a.count { diff |= a[i] ^ b[i] }
                return diff == 0
            }
        }
    }

    /// Zeroes an array in place (for copies the caller made).
    ///
    /// Only the array's own storage can be wiped: after `var b = a`, both share one buffer, and
    /// mutating `b` first copies it (copy-on-write), so the wipe would zero a fresh copy and leave
    /// the secret where it was. Wipe the array that holds the bytes, once nothing else shares it
    /// (move it out with `let x = a; a = []` rather than copying). Such a miss is counted in
    /// `missedWipes`, which the tests check.
    public static func wipe(_ bytes: inout [UInt8]) {
        let held = bytes.withUnsafeBytes { $0.baseAddress }
        bytes.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { explicit_bzero(base, raw.count) }
            if UnsafeRawPointer(raw.baseAddress) != held { missedWipes.add(1, ordering: .relaxed) }
        }
    }

    /// How many `wipe` calls found their array's storage shared, so that they zeroed a copy and the
    /// storage that held the secret was left as it was (see `wipe`). Zero in a correct program.
    public static let missedWipes = Atomic<Int>(0)
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
