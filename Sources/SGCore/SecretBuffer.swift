#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer for data that may be secret (HTTP bodies, agent messages): every
/// region it gives up is wiped, and `take()` moves the bytes into a `SecretBytes`.
public final class SecretBuffer: @unchecked Sendable {
    private var storage: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    public let limit: Int

    public init(capacity: Int = 1024, limit: Int = 64 << 20) {
        storage = .allocate(byteCount: Swift.max(capacity, 16), alignment: 16)
        self.limit = limit
    }

    deinit {
        explicit_bzero(storage.baseAddress!, storage.count)
        storage.deallocate()
    }

    /// Appends bytes; returns false when the limit would be passed (nothing is appended then).
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard count + bytes.count <= limit else { return false }
        if count + bytes.count > storage.count {
            var newSize = storage.count * 2
            while newSize < count + bytes.count { newSize *= 2 }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: newSize, alignment: 16)
            bigger.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: count)
            explicit_bzero(storage.baseAddress!, storage.count)
            storage.deallocate()
            storage = bigger
        }
        if let src = bytes.baseAddress, bytes.count > 0 {
            (storage.baseAddress! + count).copyMemory(from: src, byteCount: bytes.count)
        }
        count += bytes.count
        return true
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = append($0) }
    }

    public func append(_ secret: SecretBytes) {
        secret.withUnsafeBytes { _ = append($0) }
    }

    public func append(_ string: String) {
        var s = string
        s.withUTF8 { _ = append(UnsafeRawBufferPointer($0)) }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<count]))
    }

    /// Moves the contents into a `SecretBytes` and empties the buffer.
    public func take() -> SecretBytes {
        let out = withUnsafeBytes { SecretBytes(bytes: $0) }
        reset()
        return out
    }

    public func reset() {
        explicit_bzero(storage.baseAddress!, storage.count)
        count = 0
    }
}
