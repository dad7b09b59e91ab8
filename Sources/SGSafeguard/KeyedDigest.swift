import COpenSSL
import SGCore

/// HMAC-SHA256 under a random key made once per process: how the watchers tell that a secret
/// changed without keeping a copy of the old value. The key never leaves memory, so a digest
/// seen in a core dump or a debugger says nothing about a weak password (a project rule: never a
/// plain hash of a weak value).
///
///     let before = KeyedDigest.of(value)
///     if KeyedDigest.of(newValue) != before { … }
public enum KeyedDigest {
    private static let key: [UInt8] = {
        var k = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&k, Int32(k.count)) == 1 else { fatalError("OpenSSL RAND_bytes failed") }
        return k
    }()

    public static func of(_ secret: SecretBytes) -> [UInt8] {
        var md = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let empty: [UInt8] = [0]
        secret.withUnsafeBytes { raw in
            key.withUnsafeBytes { k in
                empty.withUnsafeBufferPointer { none in
                    _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count),
                             raw.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? none.baseAddress!, raw.count, &md, &len)
                }
            }
        }
        return md
    }
}
