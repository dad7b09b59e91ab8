import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer for SSH wire encoding (RFC 4251 §5) whose memory is wiped on every
/// reallocation and on release, so private-key blobs for the agent never linger on the heap.
///
///     let w = SSHWriter(); w.string("ssh-ed25519"); w.string(pk); let blob = w.takeSecret()
public final class SSHWriter {
    private var buffer: UnsafeMutableRawBufferPointer
    public private(set) var count = 0

    public init(capacity: Int = 256) {
        buffer = .allocate(byteCount: Swift.max(capacity, 16), alignment: 16)
    }

    deinit { wipeAndFree(buffer) }

    private func reserve(_ extra: Int) {
        guard count + extra > buffer.count else { return }
        var size = buffer.count
        while size < count + extra { size *= 2 }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        wipeAndFree(buffer)
        buffer = bigger
    }

    public func byte(_ b: UInt8) {
        reserve(1)
        buffer[count] = b
        count += 1
    }

    public func uint32(_ v: UInt32) {
        reserve(4)
        buffer[count] = UInt8(v >> 24); buffer[count + 1] = UInt8((v >> 16) & 0xff)
        buffer[count + 2] = UInt8((v >> 8) & 0xff); buffer[count + 3] = UInt8(v & 0xff)
        count += 4
    }

    public func raw(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if bytes.count > 0 { (buffer.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        count += bytes.count
    }

    public func raw(_ bytes: [UInt8]) { bytes.withUnsafeBytes { raw($0) } }

    /// `string`: uint32 length then the bytes.
    public func string(_ bytes: UnsafeRawBufferPointer) {
        uint32(UInt32(bytes.count))
        raw(bytes)
    }

    public func string(_ bytes: [UInt8]) { bytes.withUnsafeBytes { string($0) } }
    public func string(_ text: String) { string(Array(text.utf8)) }
    public func string(_ secret: SecretBytes) { secret.withUnsafeBytes { string($0) } }

    /// `mpint` from unsigned big-endian magnitude bytes: leading zeros dropped, a 0x00 added when
    /// the top bit is set (two's complement positive).
    public func mpint(unsigned bytes: UnsafeRawBufferPointer) {
        var start = 0
        while start < bytes.count && bytes[start] == 0 { start += 1 }
        let body = UnsafeRawBufferPointer(rebasing: bytes[start...])
        let pad = body.count > 0 && body[0] & 0x80 != 0
        uint32(UInt32(body.count + (pad ? 1 : 0)))
        if pad { byte(0) }
        raw(body)
    }

    /// The bytes written so far, as a secret; the writer is left empty.
    public func takeSecret() -> SecretBytes {
        let s = SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        explicit_bzero(buffer.baseAddress!, count)
        count = 0
        return s
    }

    /// A plain copy (for public data only).
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }

    /// The written bytes, valid only inside `body`.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
}

private func wipeAndFree(_ b: UnsafeMutableRawBufferPointer) {
    if let base = b.baseAddress { explicit_bzero(base, b.count) }
    b.deallocate()
}

/// A strict, bounds-checked reader of SSH wire data. Every read either returns the exact bytes
/// asked for or throws `SGError.malformedInput` naming `context`; nothing is ever read past the end.
public struct SSHReader {
    private let base: UnsafeRawBufferPointer
    public private(set) var offset = 0
    private let context: String

    /// `bytes` must outlive the reader (use it inside a `withUnsafeBytes` scope).
    public init(_ bytes: UnsafeRawBufferPointer, context: String) {
        self.base = bytes
        self.context = context
    }

    public var remaining: Int { base.count - offset }
    public var isAtEnd: Bool { offset == base.count }

    private func fail(_ what: String) -> SGError {
        .malformedInput("\(context): \(what) at offset \(offset)")
    }

    public mutating func byte() throws -> UInt8 {
        guard remaining >= 1 else { throw fail("truncated (expected a byte)") }
        defer { offset += 1 }
        return base[offset]
    }

    public mutating func uint32() throws -> UInt32 {
        guard remaining >= 4 else { throw fail("truncated (expected a uint32)") }
        let v = UInt32(base[offset]) << 24 | UInt32(base[offset + 1]) << 16 | UInt32(base[offset + 2]) << 8 | UInt32(base[offset + 3])
        offset += 4
        return v
    }

    /// `n` raw bytes, as a view into the input.
    public mutating func raw(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, remaining >= n else { throw fail("truncated (expected \(n) bytes, \(remaining) left)") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + n)])
    }

    /// A `string` (uint32 length + bytes), as a view into the input. The length is checked
    /// against what is left before anything is read.
    public mutating func string() throws -> UnsafeRawBufferPointer {
        let length = try uint32()
        guard Int(length) <= remaining else {
            offset -= 4
            throw fail("length \(length) exceeds the \(remaining - 4) bytes left")
        }
        return try raw(Int(length))
    }

    /// A `string` that must be printable ASCII/UTF-8 text without NUL (names, comments).
    public mutating func text(maxLength: Int = 4096) throws -> String {
        let s = try string()
        guard s.count <= maxLength else { throw fail("text field longer than \(maxLength) bytes") }
        guard !s.contains(0) else { throw fail("text field contains a NUL byte") }
        guard let t = String(validating: s, as: UTF8.self) else { throw fail("text field is not UTF-8") }
        return t
    }

    /// An `mpint` that must be non-negative and minimally encoded; returns its magnitude bytes.
    public mutating func mpint() throws -> UnsafeRawBufferPointer {
        let s = try string()
        if s.count > 0 {
            guard s[0] & 0x80 == 0 else { throw fail("negative mpint") }
            if s[0] == 0 {
                guard s.count > 1, s[1] & 0x80 != 0 else { throw fail("mpint with a needless leading zero") }
                return UnsafeRawBufferPointer(rebasing: s[1...])
            }
        }
        return s
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise equality with another buffer.
    func sameBytes(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        for i in 0..<count where self[i] != other[i] { return false }
        return true
    }
}
