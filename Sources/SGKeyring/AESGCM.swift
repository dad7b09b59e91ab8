import COpenSSL
#if canImport(Glibc)
import Glibc
#endif
import SGCore

/// AES-256-GCM and the key derivations of the file backend, through the system OpenSSL (EVP).
///
///     let sealed = try AESGCM.seal(plaintext, key: key, aad: header)
enum AESGCM {
    static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16
    // EVP_CTRL_GCM_GET_TAG / SET_TAG are macro aliases Swift does not import.
    static let ctrlGetTag: Int32 = 0x10
    static let ctrlSetTag: Int32 = 0x11
    static let ctrlSetIVLength: Int32 = 0x9   // EVP_CTRL_GCM_SET_IVLEN

    struct Failure: Error { let reason: String }

    static func randomBytes(_ n: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        guard RAND_bytes(&out, Int32(n)) == 1 else { throw Failure(reason: "RAND_bytes failed") }
        return out
    }

    /// Returns ciphertext followed by the 16-byte tag.
    static func seal(_ plaintext: SecretBytes, key: SecretBytes, nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard key.count == keyLength, nonce.count == nonceLength else { throw Failure(reason: "bad key or nonce length") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Failure(reason: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var len: Int32 = 0
        let ok: Bool = key.withUnsafeBytes { k in
            plaintext.withUnsafeBytes { p in
                guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                      EVP_EncryptInit_ex(ctx, nil, nil, k.bindMemory(to: UInt8.self).baseAddress, nonce) == 1 else { return false }
                if !aad.isEmpty, EVP_EncryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) != 1 { return false }
                var written: Int32 = 0
                if p.count > 0 {
                    guard EVP_EncryptUpdate(ctx, &out, &len, p.bindMemory(to: UInt8.self).baseAddress, Int32(p.count)) == 1 else { return false }
                    written = len
                }
                let finalOK = out.withUnsafeMutableBufferPointer { buf in
                    EVP_EncryptFinal_ex(ctx, buf.baseAddress! + Int(written), &len) == 1
                }
                guard finalOK else { return false }
                return out.withUnsafeMutableBufferPointer { buf in
                    EVP_CIPHER_CTX_ctrl(ctx, ctrlGetTag, Int32(tagLength), buf.baseAddress! + plaintext.count) == 1
                }
            }
        }
        guard ok else { throw Failure(reason: "AES-GCM encryption failed") }
        return out
    }

    /// Decrypts ciphertext+tag; nil when authentication fails (wrong key, tampered data).
    static func open(_ sealed: [UInt8], key: SecretBytes, nonce: [UInt8], aad: [UInt8]) -> SecretBytes? {
        // 12-byte nonces are ours; Ark's BasicKeyring (pycryptodome's default) uses 16.
        guard key.count == keyLength, (1...16).contains(nonce.count), sealed.count >= tagLength else { return nil }
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let ctLen = sealed.count - tagLength
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: max(ctLen, 1) + 16, alignment: 16)
        var tag = Array(sealed[ctLen...])
        var len: Int32 = 0
        let ok: Bool = key.withUnsafeBytes { k in
            guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1 else { return false }
            if nonce.count != nonceLength, EVP_CIPHER_CTX_ctrl(ctx, ctrlSetIVLength, Int32(nonce.count), nil) != 1 { return false }
            guard EVP_DecryptInit_ex(ctx, nil, nil, k.bindMemory(to: UInt8.self).baseAddress, nonce) == 1 else { return false }
            if !aad.isEmpty, EVP_DecryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) != 1 { return false }
            let out = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if ctLen > 0 {
                let r = sealed.withUnsafeBufferPointer { EVP_DecryptUpdate(ctx, out, &len, $0.baseAddress, Int32(ctLen)) }
                guard r == 1 else { return false }
            }
            guard EVP_CIPHER_CTX_ctrl(ctx, ctrlSetTag, Int32(tagLength), &tag) == 1 else { return false }
            return EVP_DecryptFinal_ex(ctx, out + ctLen, &len) == 1
        }
        guard ok else {
            explicit_bzero(buf.baseAddress!, buf.count)
            buf.deallocate()
            return nil
        }
        return SecretBytes(takingOwnershipOf: buf, count: ctLen)
    }

    struct ScryptParameters: Equatable { var n: UInt64 = 1 << 15; var r: UInt64 = 8; var p: UInt64 = 1 }

    /// scrypt (RFC 7914) through EVP_PBE_scrypt.
    static func scrypt(_ passphrase: SecretBytes, salt: [UInt8], parameters: ScryptParameters) throws -> SecretBytes {
        guard parameters.n >= 2, parameters.n <= 1 << 20, parameters.n & (parameters.n - 1) == 0,
              (1...32).contains(parameters.r), (1...16).contains(parameters.p) else {
            throw Failure(reason: "unreasonable scrypt parameters")
        }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: keyLength, alignment: 16)
        let maxmem = UInt64(128 * parameters.r * parameters.n * parameters.p) + (16 << 20)
        let rc = passphrase.withUnsafeBytes { pw in
            EVP_PBE_scrypt(pw.bindMemory(to: CChar.self).baseAddress, pw.count, salt, salt.count,
                           parameters.n, parameters.r, parameters.p, maxmem,
                           buf.baseAddress!.assumingMemoryBound(to: UInt8.self), keyLength)
        }
        guard rc == 1 else {
            buf.deallocate()
            throw Failure(reason: "scrypt failed")
        }
        return SecretBytes(takingOwnershipOf: buf, count: keyLength)
    }
}
