import COpenSSL

/// What OpenSSL said when a call failed: its error queue as one line, the library's reason strings
/// oldest first (the root cause first), at most four (with more, the first three and the last, the
/// outermost). Library reason strings only, never key material.
///
/// Every owner in this module throws it (or an error that carries it) when a libcrypto call fails,
/// and builds it with `drain()`, which empties the queue so the next failure reports only its own
/// reasons.
///
///     catch let error as OpenSSLError { print("cannot read the key: \(error)") }
public struct OpenSSLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reasons joined by "; ", or "no detail" when OpenSSL queued none.
    public let reasons: String

    public var description: String { reasons }

    /// Empties the queue into one error through `sg_crypto_error_line`, the one drainer.
    static func drain() -> OpenSSLError {
        var line = [CChar](repeating: 0, count: 1100)
        sg_crypto_error_line(&line, line.count)
        return OpenSSLError(reasons: String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Empties the queue before a call whose failure will be reported, so that reasons left by an
    /// earlier call that failed harmlessly do not mix into its error.
    static func clearQueue() { ERR_clear_error() }
}
