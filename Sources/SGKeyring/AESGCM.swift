import SGCore
import SGCrypto

/// AES-256-GCM and the key derivations of the file backend, on SGCrypto's owners: the file
/// format's sizes and bounds live here, OpenSSL in SGCrypto.
///
///     let sealed = try AESGCM.seal(plaintext, key: key, nonce: nonce, aad: header)
enum AESGCM {
    static let keyLength = CipherContext.aes256KeyLength
    static let nonceLength = 12
    static let tagLength = CipherContext.gcmTagLength

    struct Failure: Error { let reason: String }

    static func randomBytes(_ n: Int) throws -> [UInt8] {
        do { return try SecureRandom.bytes(count: n) } catch { throw Failure(reason: "RAND_bytes failed (\(error))") }
    }

    static func randomKey() throws -> SecretBytes {
        do { return try SecureRandom.secret(count: keyLength) } catch { throw Failure(reason: "RAND_bytes failed (\(error))") }
    }

    /// Returns ciphertext followed by the 16-byte tag.
    static func seal(_ plaintext: SecretBytes, key: SecretBytes, nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard key.count == keyLength, nonce.count == nonceLength else { throw Failure(reason: "bad key or nonce length") }
        do {
            return try CipherContext().sealAES256GCM(plaintext, key: key, nonce: nonce, aad: aad)
        } catch {
            throw Failure(reason: "AES-GCM encryption failed (\(error))")
        }
    }

    /// Decrypts ciphertext+tag; nil when authentication fails (wrong key, tampered data).
    /// 12-byte nonces are ours; Ark's BasicKeyring (pycryptodome's default) uses 16.
    static func open(_ sealed: [UInt8], key: SecretBytes, nonce: [UInt8], aad: [UInt8]) -> SecretBytes? {
        (try? CipherContext())?.openAES256GCM(sealed, key: key, nonce: nonce, aad: aad)
    }

    struct ScryptParameters: Equatable { var n: UInt64 = 1 << 15; var r: UInt64 = 8; var p: UInt64 = 1 }

    /// scrypt (RFC 7914) with the bounds a keyring file may ask for.
    static func scrypt(_ passphrase: SecretBytes, salt: [UInt8], parameters: ScryptParameters) throws -> SecretBytes {
        guard parameters.n >= 2, parameters.n <= 1 << 20, parameters.n & (parameters.n - 1) == 0,
              (1...32).contains(parameters.r), (1...16).contains(parameters.p) else {
            throw Failure(reason: "unreasonable scrypt parameters")
        }
        do {
            return try KDF.scrypt(passphrase, salt: salt, n: parameters.n, r: parameters.r, p: parameters.p, length: keyLength)
        } catch {
            throw Failure(reason: "scrypt failed (\(error))")
        }
    }
}
