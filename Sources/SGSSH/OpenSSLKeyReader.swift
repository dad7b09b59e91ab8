import SGCore
import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// PEM and PKCS#8 keys through OpenSSL's EVP_PKEY, turned into the agent encoding.
/// OpenSSL's pointers never leave this file; each is freed in a `defer`.
enum OpenSSLKeyReader {
    /// Carries the passphrase into OpenSSL's callback and records whether OpenSSL asked for it.
    private final class PassphraseContext {
        let passphrase: SecretBytes?
        var asked = false
        var tooLong = false
        init(_ p: SecretBytes?) { passphrase = p }
    }

    /// Answers from the context only; with no passphrase it fails instead of prompting.
    private static let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { buf, size, _, u in
        guard let u else { return -1 }
        let ctx = Unmanaged<PassphraseContext>.fromOpaque(u).takeUnretainedValue()
        ctx.asked = true
        guard let pass = ctx.passphrase, let buf else { return -1 }
        guard pass.count <= Int(size) else { ctx.tooLong = true; return -1 }
        pass.withUnsafeBytes { raw in
            if raw.count > 0 { memcpy(buf, raw.baseAddress!, raw.count) }
        }
        return Int32(pass.count)
    }

    static func read(_ raw: UnsafeRawBufferPointer, passphrase: SecretBytes?, encoding: PrivateKey.Encoding) throws -> PrivateKey {
        guard raw.count < Int(Int32.max), let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
            throw SGError.malformedInput("private key: cannot create a memory BIO")
        }
        defer { BIO_free(bio) }
        let ctx = PassphraseContext(passphrase)
        let unmanaged = Unmanaged.passRetained(ctx)
        defer { unmanaged.release() }
        ERR_clear_error()
        guard let pkey = PEM_read_bio_PrivateKey(bio, nil, callback, unmanaged.toOpaque()) else {
            let detail = OpenSSLError.drain()
            if ctx.asked && ctx.passphrase == nil {
                throw SGError.malformedInput("private key: the \(encoding.rawValue) key is encrypted and no passphrase was given (set 'passphrase:' on the secret)")
            }
            if ctx.tooLong { throw SGError.malformedInput("private key: the passphrase is too long for OpenSSL") }
            if ctx.asked { throw SGError.malformedInput("private key: cannot decrypt the \(encoding.rawValue) key: wrong passphrase (\(detail))") }
            throw SGError.malformedInput("private key: cannot parse the \(encoding.rawValue) key (\(detail))")
        }
        defer { EVP_PKEY_free(pkey) }
        return try convert(pkey, encoding: encoding)
    }

    static func convert(_ pkey: OpaquePointer, encoding: PrivateKey.Encoding) throws -> PrivateKey {
        let priv = SSHWriter(capacity: 2048)
        let pub = SSHWriter()
        let id = EVP_PKEY_get_base_id(pkey)
        switch id {
        case NID_ED25519:
            var seed = [UInt8](repeating: 0, count: 32), pk = [UInt8](repeating: 0, count: 32)
            defer { SecretBytes.wipe(&seed) }
            var seedLen = 32, pkLen = 32
            guard EVP_PKEY_get_raw_private_key(pkey, &seed, &seedLen) == 1, seedLen == 32,
                  EVP_PKEY_get_raw_public_key(pkey, &pk, &pkLen) == 1, pkLen == 32 else {
                throw SGError.malformedInput("private key: cannot read the Ed25519 key (\(OpenSSLError.drain()))")
            }
            pub.string("ssh-ed25519"); pub.string(pk)
            priv.string("ssh-ed25519"); priv.string(pk)
            priv.uint32(64); priv.raw(seed); priv.raw(pk)
        case NID_rsaEncryption:
            try withBN(pkey, "n") { n in try withBN(pkey, "e") { e in try withBN(pkey, "d") { d in
                try withBN(pkey, "rsa-factor1") { p in try withBN(pkey, "rsa-factor2") { q in
                    try withBN(pkey, "rsa-coefficient1") { iqmp in
                        pub.string("ssh-rsa"); pub.mpint(unsigned: e); pub.mpint(unsigned: n)
                        priv.string("ssh-rsa")
                        for v in [n, e, d, iqmp, p, q] { priv.mpint(unsigned: v) }
                    }
                } }
            } } }
        case NID_X9_62_id_ecPublicKey:
            var name = [CChar](repeating: 0, count: 64)
            var nameLen = 0
            guard EVP_PKEY_get_utf8_string_param(pkey, "group", &name, name.count, &nameLen) == 1 else {
                throw SGError.malformedInput("private key: EC key without a named curve (explicit parameters are not supported)")
            }
            let group = String(decoding: name[0..<nameLen].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let curve = ECDSACurve(opensslGroup: group) else {
                throw SGError.malformedInput("private key: EC curve \(group) is not one ssh supports (P-256, P-384, P-521)")
            }
            var point = [UInt8](repeating: 0, count: 1 + 2 * curve.fieldBytes)
            var pointLen = 0
            guard EVP_PKEY_get_octet_string_param(pkey, "pub", &point, point.count, &pointLen) == 1 else {
                throw SGError.malformedInput("private key: cannot read the EC public point (\(OpenSSLError.drain()))")
            }
            let q = try KeyChecks.uncompressedPoint(Array(point[0..<pointLen]), curve: curve)
            try withBN(pkey, "priv") { d in
                pub.string(curve.name); pub.string(curve.rawValue); pub.string(q)
                priv.string(curve.name); priv.string(curve.rawValue); priv.string(q); priv.mpint(unsigned: d)
            }
        default:
            throw SGError.malformedInput("private key: unsupported key algorithm (OpenSSL id \(id)); ssh keys are RSA, ECDSA or Ed25519")
        }
        let publicKey = try PublicKey(blob: pub.bytes)
        return PrivateKey(publicKey: publicKey, agentBlob: priv.takeSecret(), comment: "", encoding: encoding)
    }

    /// A BIGNUM parameter's magnitude in a buffer wiped after `body`.
    private static func withBN(_ pkey: OpaquePointer, _ name: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var bn: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else {
            throw SGError.malformedInput("private key: missing key component '\(name)' (\(OpenSSLError.drain()))")
        }
        defer { BN_clear_free(bn) }
        try withBytes(of: bn, body)
    }

    static func withBytes(of bn: OpaquePointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let size = (Int(BN_num_bits(bn)) + 7) / 8
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(size, 1), alignment: 8)
        defer { explicit_bzero(buf.baseAddress!, buf.count); buf.deallocate() }
        let written = Int(BN_bn2bin(bn, buf.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        try body(UnsafeRawBufferPointer(rebasing: buf[0..<written]))
    }
}

extension ECDSACurve {
    /// `ecdsa-sha2-nistpNNN`.
    var name: String { SSHKeyType.ecdsa(self).name }
}

/// Consistency checks that catch a damaged key before the agent or a server sees it.
enum KeyChecks {
    /// The Ed25519 public key derived from `seed` must equal `publicKey`.
    static func ed25519(seed: UnsafeRawBufferPointer, publicKey: UnsafeRawBufferPointer) throws {
        guard let pkey = EVP_PKEY_new_raw_private_key(NID_ED25519, nil, seed.baseAddress!.assumingMemoryBound(to: UInt8.self), seed.count) else {
            throw SGError.malformedInput("private key: invalid Ed25519 seed")
        }
        defer { EVP_PKEY_free(pkey) }
        var derived = [UInt8](repeating: 0, count: 32)
        var len = 32
        guard EVP_PKEY_get_raw_public_key(pkey, &derived, &len) == 1, len == 32,
              derived.withUnsafeBytes({ $0.sameBytes(publicKey) }) else {
            throw SGError.malformedInput("private key: the Ed25519 secret key does not match its public key")
        }
    }

    /// n must equal p·q.
    static func rsa(n: UnsafeRawBufferPointer, p: UnsafeRawBufferPointer, q: UnsafeRawBufferPointer) throws {
        let bn = BN.self
        guard let ctx = BN_CTX_secure_new() else { throw SGError.internalError("BN_CTX_new failed") }
        defer { BN_CTX_free(ctx) }
        let nn = bn.from(n), pp = bn.from(p), qq = bn.from(q), prod = BN_new()
        defer { BN_free(nn); BN_clear_free(pp); BN_clear_free(qq); BN_clear_free(prod) }
        guard let nn, let pp, let qq, let prod, BN_mul(prod, pp, qq, ctx) == 1, BN_cmp(prod, nn) == 0 else {
            throw SGError.malformedInput("private key: RSA modulus is not the product of its primes")
        }
    }

    /// Q must be an uncompressed point on the curve and equal d·G.
    static func ecdsa(curve: ECDSACurve, q: UnsafeRawBufferPointer, d: UnsafeRawBufferPointer) throws {
        guard q.count == 1 + 2 * curve.fieldBytes, q[0] == 4 else {
            throw SGError.malformedInput("private key: ECDSA public point is not uncompressed")
        }
        guard let group = EC_GROUP_new_by_curve_name(curve.nid) else { throw SGError.internalError("EC_GROUP_new_by_curve_name failed") }
        defer { EC_GROUP_free(group) }
        let given = EC_POINT_new(group), derived = EC_POINT_new(group), scalar = BN.from(d)
        defer { EC_POINT_free(given); EC_POINT_clear_free(derived); BN_clear_free(scalar) }
        guard let given, let derived, let scalar,
              EC_POINT_oct2point(group, given, q.baseAddress!.assumingMemoryBound(to: UInt8.self), q.count, nil) == 1,
              EC_POINT_mul(group, derived, scalar, nil, nil, nil) == 1,
              EC_POINT_cmp(group, given, derived, nil) == 0 else {
            throw SGError.malformedInput("private key: ECDSA private scalar does not match its public point")
        }
    }

    /// An EC point in uncompressed form (OpenSSL may hold it compressed).
    static func uncompressedPoint(_ encoded: [UInt8], curve: ECDSACurve) throws -> [UInt8] {
        if encoded.count == 1 + 2 * curve.fieldBytes && encoded.first == 4 { return encoded }
        guard let group = EC_GROUP_new_by_curve_name(curve.nid) else { throw SGError.internalError("EC_GROUP_new_by_curve_name failed") }
        defer { EC_GROUP_free(group) }
        guard let point = EC_POINT_new(group) else { throw SGError.internalError("EC_POINT_new failed") }
        defer { EC_POINT_free(point) }
        var out = [UInt8](repeating: 0, count: 1 + 2 * curve.fieldBytes)
        guard EC_POINT_oct2point(group, point, encoded, encoded.count, nil) == 1,
              EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, &out, out.count, nil) == out.count else {
            throw SGError.malformedInput("private key: invalid EC public point")
        }
        return out
    }
}

enum BN {
    static func from(_ bytes: UnsafeRawBufferPointer) -> OpaquePointer? {
        BN_bin2bn(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(bytes.count), nil)
    }
}

/// OpenSSL's error queue as one line (library reason strings only; no key material).
enum OpenSSLError {
    /// `sg_crypto_error_line`, the one drainer (shared with SGTransport's ClientCertificate).
    static func drain() -> String {
        var line = [CChar](repeating: 0, count: 1100)
        sg_crypto_error_line(&line, line.count)
        return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
