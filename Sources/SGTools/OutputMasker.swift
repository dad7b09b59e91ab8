import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Replaces secret values in a byte stream with `<concealed by sg>`, also when a value arrives
/// split over several reads: a tail that could still become a secret (at most the longest
/// secret's length - 1 bytes) is held back until the next chunk, `flush()` or the stream's end.
///
///     let masker = OutputMasker(secrets: values)
///     let safe = masker.feed(chunk)        // write `safe`; call masker.finish() at EOF
///
/// The held-back tail and every buffer are wiped after use; a caller that holds output for too
/// long (a prompt without a newline) calls `flush()` after a quiet period.
public final class OutputMasker: @unchecked Sendable {
    public static let replacement: [UInt8] = Array("<concealed by sg>".utf8)

    private var secrets: [[UInt8]]
    private var carry: [UInt8] = []
    public private(set) var maxLength: Int

    /// Empty values are ignored; longer values are tried first so a value that contains
    /// another is concealed whole.
    public init(secrets: [SecretBytes]) {
        var list: [[UInt8]] = []
        for s in secrets where !s.isEmpty {
            var bytes = s.unsafeArray()
            // A duplicate is wiped in its own storage (a `var` copy would share it and wipe a copy).
            if !list.contains(bytes) { list.append(bytes) } else { SecretBytes.wipe(&bytes) }
        }
        list.sort { $0.count > $1.count }
        self.secrets = list
        maxLength = list.first?.count ?? 0
    }

    deinit {
        for i in secrets.indices { SecretBytes.wipe(&secrets[i]) }
        SecretBytes.wipe(&carry)
    }

    /// Conceals these values too from now on (`sg-exec --signal-on-change --mask`: the new values
    /// of secrets that rotated while the child runs).
    public func add(secrets more: [SecretBytes]) {
        for s in more where !s.isEmpty {
            var bytes = s.unsafeArray()
            if !secrets.contains(bytes) { secrets.append(bytes) } else { SecretBytes.wipe(&bytes) }
        }
        secrets.sort { $0.count > $1.count }
        maxLength = secrets.first?.count ?? 0
    }

    /// Bytes waiting for more input.
    public var pending: Int { carry.count }

    /// Masks `chunk` together with the held-back tail; returns what is safe to write now.
    public func feed(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        if secrets.isEmpty { return Array(chunk) }
        var data = carry
        data.append(contentsOf: chunk)
        SecretBytes.wipe(&carry)
        carry = []
        defer { SecretBytes.wipe(&data) }
        return scan(data, final: false)
    }

    public func feed(_ chunk: [UInt8]) -> [UInt8] {
        chunk.withUnsafeBytes { feed($0) }
    }

    /// Gives up on the held-back tail (it did not become a secret) and returns it.
    public func flush() -> [UInt8] {
        // Moved, not copied: `data` is then the only holder of the tail and its wipe reaches it.
        var data = carry
        carry = []
        defer { SecretBytes.wipe(&data) }
        return scan(data, final: true)
    }

    /// At the end of the stream: whatever is held back.
    public func finish() -> [UInt8] { flush() }

    private func scan(_ data: [UInt8], final: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var i = 0
        outer: while i < data.count {
            let avail = data.count - i
            if !final {
                // A longer secret could still start here: keep the tail for the next chunk,
                // rather than conceal a shorter value and print the rest of the longer one.
                for s in secrets where avail < s.count && matches(data, at: i, s, length: avail) {
                    carry = Array(data[i...])
                    return out
                }
            }
            for s in secrets where avail >= s.count && matches(data, at: i, s, length: s.count) {
                out += Self.replacement
                i += s.count
                continue outer
            }
            out.append(data[i])
            i += 1
        }
        return out
    }

    private func matches(_ data: [UInt8], at i: Int, _ s: [UInt8], length: Int) -> Bool {
        var j = 0
        while j < length {
            if data[i + j] != s[j] { return false }
            j += 1
        }
        return true
    }
}
