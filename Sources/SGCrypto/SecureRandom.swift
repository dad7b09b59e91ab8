import COpenSSL
import SGCore

/// Random bytes from OpenSSL's CSPRNG (RAND_bytes).
///
///     let key = try SecureRandom.secret(count: 32)      // a key: wiped storage
///     let nonce = try SecureRandom.bytes(count: 12)     // a nonce or salt: public
public enum SecureRandom {
    /// `count` random bytes for a key, a verifier or a token, in wiped storage.
    public static func secret(count: Int) throws(OpenSSLError) -> SecretBytes {
        try checkCount(count)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 16)
        guard fill(buffer, count: count) else {
            buffer.deallocate()
            throw OpenSSLError.drain()
        }
        return SecretBytes(takingOwnershipOf: buffer, count: count)
    }

    /// `count` random bytes that need no wiping (nonces, salts).
    public static func bytes(count: Int) throws(OpenSSLError) -> [UInt8] {
        try checkCount(count)
        var out = [UInt8](repeating: 0, count: count)
        guard out.withUnsafeMutableBytes({ fill($0, count: count) }) else { throw OpenSSLError.drain() }
        return out
    }

    private static func checkCount(_ count: Int) throws(OpenSSLError) {
        guard count >= 0, count < Int(Int32.max) else { throw OpenSSLError(reasons: "cannot make \(count) random bytes") }
    }

    private static func fill(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> Bool {
        count == 0 || RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1
    }
}
