import COpenSSL
import SGCore

/// SHA-256 and HMAC-SHA-256 through libcrypto.
///
/// Both fail only when OpenSSL cannot allocate its context; that stops the process, as a failed
/// allocation does anywhere in Swift, rather than hand back a digest that is not one (a watcher
/// would then miss a changed secret).
///
///     let fingerprint = Digest.sha256(blob)
public enum Digest {
    public static let sha256Length = 32

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: sha256Length)
        let rc = EVP_Digest(bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start), bytes.count, &digest, nil, EVP_sha256(), nil)
        precondition(rc == 1, "OpenSSL EVP_Digest failed: \(OpenSSLError.drain())")
        return digest
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { sha256($0) } }

    public static func sha256(_ secret: SecretBytes) -> [UInt8] { secret.withUnsafeBytes { sha256($0) } }

    /// HMAC-SHA-256 of `message` under `key` (RFC 2104).
    public static func hmacSHA256(key: SecretBytes, _ message: SecretBytes) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: sha256Length)
        var length: UInt32 = 0
        let empty = UnsafeRawPointer(("" as StaticString).utf8Start)
        let result = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                HMAC(EVP_sha256(), k.baseAddress ?? empty, Int32(k.count),
                     (m.baseAddress ?? empty).assumingMemoryBound(to: UInt8.self), m.count, &mac, &length)
            }
        }
        precondition(result != nil && length == UInt32(sha256Length), "OpenSSL HMAC failed: \(OpenSSLError.drain())")
        return mac
    }
}
