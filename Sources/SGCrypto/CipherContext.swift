import COpenSSL
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL cipher context (EVP_CIPHER_CTX) for AES-256-GCM, freed when the owner goes.
///
///     let sealed = try CipherContext().sealAES256GCM(plaintext, key: key, nonce: nonce, aad: header)
///     let opened = try CipherContext().openAES256GCM(sealed, key: key, nonce: nonce, aad: header)
public final class CipherContext {
    public static let aes256KeyLength = 32
    public static let gcmTagLength = 16
    // EVP_CTRL_GCM_SET_IVLEN / GET_TAG / SET_TAG are macro aliases Swift does not import.
    private static let ctrlSetIVLength: Int32 = 0x9
    private static let ctrlGetTag: Int32 = 0x10
    private static let ctrlSetTag: Int32 = 0x11

    let pointer: OpaquePointer

    public init() throws(OpenSSLError) {
        guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSLError.drain() }
        pointer = context
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    /// `plaintext` encrypted under the 32-byte `key` and `nonce`, authenticating `aad` too: the
    /// ciphertext followed by the 16-byte tag. Nonces of 1 to 16 bytes (12 is GCM's own size).
    public func sealAES256GCM(_ plaintext: SecretBytes, key: SecretBytes, nonce: [UInt8], aad: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        guard key.count == Self.aes256KeyLength, (1...16).contains(nonce.count), plaintext.count < Int(Int32.max) - Self.gcmTagLength else {
            throw OpenSSLError(reasons: "AES-256-GCM needs a 32-byte key and a nonce of 1 to 16 bytes")
        }
        OpenSSLError.clearQueue()
        var out = [UInt8](repeating: 0, count: plaintext.count + Self.gcmTagLength)
        let ok: Bool = key.withUnsafeBytes { k in
            plaintext.withUnsafeBytes { p in
                out.withUnsafeMutableBufferPointer { o in
                    var length: Int32 = 0
                    guard start(encrypting: true, key: k, nonce: nonce, aad: aad) else { return false }
                    var written: Int32 = 0
                    if p.count > 0 {
                        guard EVP_EncryptUpdate(pointer, o.baseAddress, &length, p.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(p.count)) == 1 else { return false }
                        written = length
                    }
                    return EVP_EncryptFinal_ex(pointer, o.baseAddress! + Int(written), &length) == 1
                        && EVP_CIPHER_CTX_ctrl(pointer, Self.ctrlGetTag, Int32(Self.gcmTagLength), o.baseAddress! + p.count) == 1
                }
            }
        }
        guard ok else { throw OpenSSLError.drain() }
        return out
    }

    /// The plaintext of `sealed` (ciphertext ‖ 16-byte tag), in wiped storage; nil when it does not
    /// authenticate (wrong key, nonce or aad, or tampered bytes). Nonces of 1 to 16 bytes.
    public func openAES256GCM(_ sealed: [UInt8], key: SecretBytes, nonce: [UInt8], aad: [UInt8]) -> SecretBytes? {
        guard key.count == Self.aes256KeyLength, (1...16).contains(nonce.count),
              sealed.count >= Self.gcmTagLength, sealed.count < Int(Int32.max) else { return nil }
        let textLength = sealed.count - Self.gcmTagLength
        // GCM writes no more than it reads; the spare block is for EVP_DecryptFinal_ex.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: textLength + 16, alignment: 16)
        var tag = Array(sealed[textLength...])
        let ok: Bool = key.withUnsafeBytes { k in
            var length: Int32 = 0
            guard start(encrypting: false, key: k, nonce: nonce, aad: aad) else { return false }
            let out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if textLength > 0 {
                let updated = sealed.withUnsafeBufferPointer { EVP_DecryptUpdate(pointer, out, &length, $0.baseAddress, Int32(textLength)) }
                guard updated == 1 else { return false }
            }
            return EVP_CIPHER_CTX_ctrl(pointer, Self.ctrlSetTag, Int32(Self.gcmTagLength), &tag) == 1
                && EVP_DecryptFinal_ex(pointer, out + textLength, &length) == 1
        }
        guard ok else {
            // What was decrypted before the tag failed to verify must not be left in freed memory.
            explicit_bzero(buffer.baseAddress!, buffer.count)
            buffer.deallocate()
            OpenSSLError.clearQueue()
            return nil
        }
        return SecretBytes(takingOwnershipOf: buffer, count: textLength)
    }

    /// Cipher, nonce length, key and nonce, then the additional authenticated data.
    private func start(encrypting: Bool, key: UnsafeRawBufferPointer, nonce: [UInt8], aad: [UInt8]) -> Bool {
        let initialize = encrypting ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        let update = encrypting ? EVP_EncryptUpdate : EVP_DecryptUpdate
        var length: Int32 = 0
        guard initialize(pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1 else { return false }
        if nonce.count != 12, EVP_CIPHER_CTX_ctrl(pointer, Self.ctrlSetIVLength, Int32(nonce.count), nil) != 1 { return false }
        guard initialize(pointer, nil, nil, key.baseAddress?.assumingMemoryBound(to: UInt8.self), nonce) == 1 else { return false }
        return aad.isEmpty || update(pointer, nil, &length, aad, Int32(aad.count)) == 1
    }
}
