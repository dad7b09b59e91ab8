import SGCore
import SGCrypto

/// HMAC-SHA256 under a random key made once per process: how the watchers tell that a secret
/// changed without keeping a copy of the old value. The key never leaves memory, so a digest
/// seen in a core dump or a debugger says nothing about a weak password (a project rule: never a
/// plain hash of a weak value).
///
///     let before = KeyedDigest.of(value)
///     if KeyedDigest.of(newValue) != before { … }
public enum KeyedDigest {
    private static let key: SecretBytes = {
        do { return try SecureRandom.secret(count: 32) } catch { fatalError("OpenSSL RAND_bytes failed (\(error))") }
    }()

    public static func of(_ secret: SecretBytes) -> [UInt8] { Digest.hmacSHA256(key: key, secret) }
}
