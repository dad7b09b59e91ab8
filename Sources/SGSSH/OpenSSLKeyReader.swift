import SGCore
import SGCrypto

/// PEM and PKCS#8 keys through SGCrypto's `EVPKey`, turned into the agent encoding.
enum OpenSSLKeyReader {
    static func read(_ text: SecretBytes, passphrase: SecretBytes?, encoding: PrivateKey.Encoding) throws -> PrivateKey {
        let key: EVPKey
        do throws(EVPKey.ReadError) {
            key = try EVPKey(privateKeyPEM: text, passphrase: passphrase)
        } catch .needsPassphrase {
            throw SGError.malformedInput("private key: the \(encoding.rawValue) key is encrypted and no passphrase was given (set 'passphrase:' on the secret)")
        } catch .passphraseTooLong {
            throw SGError.malformedInput("private key: the passphrase is too long for OpenSSL")
        } catch .wrongPassphrase(let detail) {
            throw SGError.malformedInput("private key: cannot decrypt the \(encoding.rawValue) key: wrong passphrase (\(detail))")
        } catch .unreadable(let detail) {
            throw SGError.malformedInput("private key: cannot parse the \(encoding.rawValue) key (\(detail))")
        }
        return try convert(key, encoding: encoding)
    }

    static func convert(_ key: EVPKey, encoding: PrivateKey.Encoding) throws -> PrivateKey {
        let priv = SSHWriter(capacity: 2048)
        let pub = SSHWriter()
        switch key.kind {
        case .ed25519:
            let seed: SecretBytes, pk: [UInt8]
            do { seed = try key.rawPrivateKey(); pk = try key.rawPublicKey() } catch {
                throw SGError.malformedInput("private key: cannot read the Ed25519 key (\(error))")
            }
            guard seed.count == 32, pk.count == 32 else { throw SGError.malformedInput("private key: cannot read the Ed25519 key (bad lengths)") }
            pub.string("ssh-ed25519"); pub.string(pk)
            priv.string("ssh-ed25519"); priv.string(pk)
            priv.uint32(64)
            seed.withUnsafeBytes { priv.raw($0) }
            priv.raw(pk)
        case .rsa:
            try withBN(key, "n") { n in try withBN(key, "e") { e in try withBN(key, "d") { d in
                try withBN(key, "rsa-factor1") { p in try withBN(key, "rsa-factor2") { q in
                    try withBN(key, "rsa-coefficient1") { iqmp in
                        pub.string("ssh-rsa"); pub.mpint(unsigned: e); pub.mpint(unsigned: n)
                        priv.string("ssh-rsa")
                        for v in [n, e, d, iqmp, p, q] { priv.mpint(unsigned: v) }
                    }
                } }
            } } }
        case .ec:
            guard let group = key.textParameter("group") else {
                throw SGError.malformedInput("private key: EC key without a named curve (explicit parameters are not supported)")
            }
            guard let curve = ECDSACurve(opensslGroup: group) else {
                throw SGError.malformedInput("private key: EC curve \(group) is not one ssh supports (P-256, P-384, P-521)")
            }
            let point: [UInt8]
            do { point = try key.octetParameter("pub", maximumLength: 1 + 2 * curve.fieldBytes) } catch {
                throw SGError.malformedInput("private key: cannot read the EC public point (\(error))")
            }
            let q = try KeyChecks.uncompressedPoint(point, curve: curve)
            try withBN(key, "priv") { d in
                pub.string(curve.name); pub.string(curve.rawValue); pub.string(q)
                priv.string(curve.name); priv.string(curve.rawValue); priv.string(q); priv.mpint(unsigned: d)
            }
        case .other(let id):
            throw SGError.malformedInput("private key: unsupported key algorithm (OpenSSL id \(id)); ssh keys are RSA, ECDSA or Ed25519")
        }
        let publicKey = try PublicKey(blob: pub.bytes)
        return PrivateKey(publicKey: publicKey, agentBlob: priv.takeSecret(), comment: "", encoding: encoding)
    }

    /// A BIGNUM parameter's magnitude in a buffer wiped after `body`.
    private static func withBN(_ key: EVPKey, _ name: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let number: BigNumber
        do { number = try key.bigNumber(name) } catch {
            throw SGError.malformedInput("private key: missing key component '\(name)' (\(error))")
        }
        try number.withMagnitude(body)
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
        guard let key = try? EVPKey.ed25519(seed: seed) else { throw SGError.malformedInput("private key: invalid Ed25519 seed") }
        guard let derived = try? key.rawPublicKey(), derived.withUnsafeBytes({ $0.sameBytes(publicKey) }) else {
            throw SGError.malformedInput("private key: the Ed25519 secret key does not match its public key")
        }
    }

    /// n must equal p·q.
    static func rsa(n: UnsafeRawBufferPointer, p: UnsafeRawBufferPointer, q: UnsafeRawBufferPointer) throws {
        let matches = try? BigNumber(magnitude: p).multiplied(by: BigNumber(magnitude: q)) == BigNumber(magnitude: n)
        guard matches == true else { throw SGError.malformedInput("private key: RSA modulus is not the product of its primes") }
    }

    /// Q must be an uncompressed point on the curve and equal d·G.
    static func ecdsa(curve: ECDSACurve, q: UnsafeRawBufferPointer, d: UnsafeRawBufferPointer) throws {
        guard q.count == 1 + 2 * curve.fieldBytes, q[0] == 4 else {
            throw SGError.malformedInput("private key: ECDSA public point is not uncompressed")
        }
        let matches = try? ECPoint(curve: curve.named, octets: q) == ECPoint(curve: curve.named, generatorTimes: BigNumber(magnitude: d))
        guard matches == true else { throw SGError.malformedInput("private key: ECDSA private scalar does not match its public point") }
    }

    /// An EC point in uncompressed form (OpenSSL may hold it compressed).
    static func uncompressedPoint(_ encoded: [UInt8], curve: ECDSACurve) throws -> [UInt8] {
        if encoded.count == 1 + 2 * curve.fieldBytes && encoded.first == 4 { return encoded }
        guard let point = try? encoded.withUnsafeBytes({ try ECPoint(curve: curve.named, octets: $0).uncompressedOctets() }) else {
            throw SGError.malformedInput("private key: invalid EC public point")
        }
        return point
    }
}
