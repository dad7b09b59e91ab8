import COpenSSL
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Key derivation from a passphrase.
///
///     let key = try KDF.scrypt(passphrase, salt: salt, n: 1 << 15, r: 8, p: 1, length: 32)
public enum KDF {
    /// scrypt (RFC 7914) through EVP_PBE_scrypt: `length` bytes in wiped storage. The caller
    /// bounds n, r and p (they are a file format's policy); the memory OpenSSL may use is sized
    /// from them (128·r·n·p and some room).
    public static func scrypt(_ passphrase: SecretBytes, salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, length: Int) throws(OpenSSLError) -> SecretBytes {
        let (memory, overflow) = (128 * r).multipliedReportingOverflow(by: n)
        guard !overflow, length > 0, memory.multipliedReportingOverflow(by: p).overflow == false else {
            throw OpenSSLError(reasons: "scrypt parameters out of range")
        }
        let maxMemory = memory * p + (16 << 20)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
        let rc = passphrase.withUnsafeBytes { pw in
            EVP_PBE_scrypt(pw.baseAddress?.assumingMemoryBound(to: CChar.self), pw.count, salt, salt.count,
                           n, r, p, maxMemory, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), length)
        }
        guard rc == 1 else {
            explicit_bzero(buffer.baseAddress!, buffer.count)
            buffer.deallocate()
            throw OpenSSLError.drain()
        }
        return SecretBytes(takingOwnershipOf: buffer, count: length)
    }
}
