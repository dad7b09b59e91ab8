import COpenSSL
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL private key (EVP_PKEY), freed when the owner goes.
///
/// Read from PEM (PKCS#1, SEC1 or PKCS#8, encrypted or not), from a PKCS#12 bundle or from a raw
/// Ed25519 seed; its parts come out in wiped storage (`rawPrivateKey`, `bigNumber(_:)`), and the
/// whole key as unencrypted PKCS#8 PEM (`unencryptedPEM`). OpenSSL never prompts for a passphrase:
/// an encrypted key is opened with the one given or fails with `ReadError.needsPassphrase`.
///
///     let key = try EVPKey(privateKeyPEM: text, passphrase: pass)
public final class EVPKey {
    let pointer: OpaquePointer

    /// Takes a key the caller owns (one reference); the owner frees it.
    init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// Why a PEM private key could not be read.
    public enum ReadError: Error, Equatable {
        /// The key is encrypted and no passphrase was given.
        case needsPassphrase
        /// The passphrase does not fit OpenSSL's buffer (1 KiB).
        case passphraseTooLong
        /// OpenSSL asked for the passphrase and the key did not open with it.
        case wrongPassphrase(OpenSSLError)
        /// No key OpenSSL can read.
        case unreadable(OpenSSLError)
    }

    /// The first private key in `privateKeyPEM`. `passphrase` opens an encrypted key; with none,
    /// an encrypted key is `needsPassphrase`, never a prompt on the terminal.
    public convenience init(privateKeyPEM: SecretBytes, passphrase: SecretBytes?) throws(ReadError) {
        let context = PassphraseContext(passphrase)
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        OpenSSLError.clearQueue()
        let key: OpaquePointer?
        do {
            key = try privateKeyPEM.withUnsafeBytes { raw in
                try MemoryBIO.reading(raw) { bio in
                    PEM_read_bio_PrivateKey(bio.pointer, nil, passphraseCallback, unmanaged.toOpaque())
                }
            }
        } catch {
            throw .unreadable(error as? OpenSSLError ?? OpenSSLError.drain())
        }
        guard let key else {
            let detail = OpenSSLError.drain()
            if context.tooLong { throw .passphraseTooLong }
            if context.asked { throw context.passphrase == nil ? .needsPassphrase : .wrongPassphrase(detail) }
            throw .unreadable(detail)
        }
        self.init(takingOwnership: key)
    }

    /// The Ed25519 key whose 32-byte private key (seed) is `seed`.
    public static func ed25519(seed: UnsafeRawBufferPointer) throws(OpenSSLError) -> EVPKey {
        guard seed.count == 32, let start = seed.baseAddress,
              let key = EVP_PKEY_new_raw_private_key(NID_ED25519, nil, start.assumingMemoryBound(to: UInt8.self), seed.count) else {
            throw OpenSSLError.drain()
        }
        return EVPKey(takingOwnership: key)
    }

    /// The key algorithms sg tells apart.
    public enum Kind: Equatable, Sendable {
        case ed25519, rsa, ec
        /// Any other algorithm, by its OpenSSL id.
        case other(Int32)
    }

    public var kind: Kind {
        let id = EVP_PKEY_get_base_id(pointer)
        switch id {
        case NID_ED25519: return .ed25519
        case NID_rsaEncryption: return .rsa
        case NID_X9_62_id_ecPublicKey: return .ec
        default: return .other(id)
        }
    }

    /// The raw private key of an Ed25519 key (its 32-byte seed).
    public func rawPrivateKey() throws(OpenSSLError) -> SecretBytes {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        var length = buffer.count
        guard EVP_PKEY_get_raw_private_key(pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1 else {
            explicit_bzero(buffer.baseAddress!, buffer.count)
            buffer.deallocate()
            throw OpenSSLError.drain()
        }
        return SecretBytes(takingOwnershipOf: buffer, count: length)
    }

    /// The raw public key of an Ed25519 key (32 bytes).
    public func rawPublicKey() throws(OpenSSLError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length = out.count
        guard EVP_PKEY_get_raw_public_key(pointer, &out, &length) == 1 else { throw OpenSSLError.drain() }
        return Array(out[0..<length])
    }

    /// A BIGNUM parameter (`"n"`, `"d"`, `"rsa-factor1"`, `"priv"`, …), owned by the caller.
    public func bigNumber(_ name: String) throws(OpenSSLError) -> BigNumber {
        var number: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pointer, name, &number) == 1, let number else { throw OpenSSLError.drain() }
        return BigNumber(takingOwnership: number)
    }

    /// A UTF-8 string parameter (`"group"`: the curve's name); nil when the key has none.
    public func textParameter(_ name: String) -> String? {
        var text = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(pointer, name, &text, text.count, &length) == 1 else {
            OpenSSLError.clearQueue()
            return nil
        }
        return String(decoding: text[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An octet-string parameter of at most `maximumLength` bytes (`"pub"`: the EC public point).
    public func octetParameter(_ name: String, maximumLength: Int) throws(OpenSSLError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: maximumLength)
        var length = 0
        guard EVP_PKEY_get_octet_string_param(pointer, name, &out, out.count, &length) == 1 else { throw OpenSSLError.drain() }
        return Array(out[0..<length])
    }

    /// The key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`), in wiped storage.
    public func unencryptedPEM() throws(OpenSSLError) -> SecretBytes {
        let out = try MemoryBIO()
        guard PEM_write_bio_PrivateKey(out.pointer, pointer, nil, nil, 0, nil, nil) == 1 else { throw OpenSSLError.drain() }
        return out.contents()
    }
}

/// Carries the passphrase into OpenSSL's callback and records whether OpenSSL asked for it.
private final class PassphraseContext {
    let passphrase: SecretBytes?
    var asked = false
    var tooLong = false
    init(_ passphrase: SecretBytes?) { self.passphrase = passphrase }
}

/// Answers from the context only: with no passphrase it fails instead of prompting. OpenSSL
/// cleanses the buffer it lends.
private let passphraseCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { buffer, size, _, user in
    guard let user else { return -1 }
    let context = Unmanaged<PassphraseContext>.fromOpaque(user).takeUnretainedValue()
    context.asked = true
    guard let passphrase = context.passphrase, let buffer else { return -1 }
    guard passphrase.count <= Int(size) else { context.tooLong = true; return -1 }
    passphrase.withUnsafeBytes { raw in
        if let start = raw.baseAddress { memcpy(buffer, start, raw.count) }
    }
    return Int32(passphrase.count)
}
