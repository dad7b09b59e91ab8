import SGCore

/// The openssh-key-v1 container (OpenSSH PROTOCOL.key), read strictly: every length is bounds
/// checked, the two check-ints must match, the private key must match the public key in the
/// header, and the padding must be 1, 2, 3, ... . Encrypted keys are recognised but not
/// decrypted (no bcrypt_pbkdf here, by design): they come back as `.needsSSHAdd`.
enum OpenSSHKeyV1 {
    static let magic = Array("openssh-key-v1".utf8) + [0]

    static func parse(_ blob: SecretBytes) throws -> PrivateKeyReadResult {
        try blob.withUnsafeBytes { raw in
            var r = SSHReader(raw, context: "openssh-key-v1")
            let m = try r.raw(magic.count)
            guard m.elementsEqual(magic) else { throw SGError.malformedInput("openssh-key-v1: bad magic (not an OpenSSH private key)") }
            let cipher = try r.text(maxLength: 64)
            let kdf = try r.text(maxLength: 64)
            let kdfOptions = try r.string()
            let n = try r.uint32()
            guard n == 1 else { throw SGError.malformedInput("openssh-key-v1: the file holds \(n) keys; exactly one is supported") }
            let publicKey = try PublicKey(blob: Array(try r.string()))
            let section = try r.string()
            guard r.isAtEnd else { throw SGError.malformedInput("openssh-key-v1: \(r.remaining) bytes after the private section") }

            if cipher != "none" {
                guard kdf == "bcrypt" else { throw SGError.malformedInput("openssh-key-v1: unsupported KDF '\(kdf)' for cipher '\(cipher)'") }
                guard !section.isEmpty else { throw SGError.malformedInput("openssh-key-v1: empty encrypted section") }
                return .needsSSHAdd(publicKey: publicKey, cipher: cipher, kdf: kdf)
            }
            guard kdf == "none", kdfOptions.isEmpty else {
                throw SGError.malformedInput("openssh-key-v1: cipher 'none' with KDF '\(kdf)'")
            }
            return .key(try parsePrivateSection(section, publicKey: publicKey))
        }
    }

    private static func parsePrivateSection(_ section: UnsafeRawBufferPointer, publicKey: PublicKey) throws -> PrivateKey {
        let blockSize = 8
        guard section.count % blockSize == 0 else {
            throw SGError.malformedInput("openssh-key-v1: private section length \(section.count) is not a multiple of \(blockSize)")
        }
        var r = SSHReader(section, context: "openssh-key-v1 private section")
        let check1 = try r.uint32(), check2 = try r.uint32()
        guard check1 == check2 else { throw SGError.malformedInput("openssh-key-v1: check-int mismatch (corrupt or wrongly decrypted key)") }

        let keyStart = r.offset
        let typeName = try r.text(maxLength: 64)
        guard typeName == publicKey.type.name else {
            throw SGError.malformedInput("openssh-key-v1: private key type \(typeName) differs from the public key (\(publicKey.type.name))")
        }
        let pub = SSHWriter()
        pub.string(typeName)
        switch publicKey.type {
        case .ed25519:
            let pk = try r.string()
            let sk = try r.string()
            guard pk.count == 32, sk.count == 64 else { throw SGError.malformedInput("openssh-key-v1: bad Ed25519 key lengths") }
            guard UnsafeRawBufferPointer(rebasing: sk[32..<64]).sameBytes(pk) else {
                throw SGError.malformedInput("openssh-key-v1: Ed25519 secret key does not end with its public key")
            }
            try KeyChecks.ed25519(seed: UnsafeRawBufferPointer(rebasing: sk[0..<32]), publicKey: pk)
            pub.string(pk)
        case .rsa:
            let nn = try r.mpint(), e = try r.mpint(), d = try r.mpint()
            let iqmp = try r.mpint(), p = try r.mpint(), q = try r.mpint()
            for (name, v) in [("n", nn), ("e", e), ("d", d), ("iqmp", iqmp), ("p", p), ("q", q)] where v.isEmpty {
                throw SGError.malformedInput("openssh-key-v1: RSA field \(name) is zero")
            }
            try KeyChecks.rsa(n: nn, p: p, q: q)
            pub.mpint(unsigned: e)
            pub.mpint(unsigned: nn)
        case .ecdsa(let curve):
            guard try r.text(maxLength: 16) == curve.rawValue else { throw SGError.malformedInput("openssh-key-v1: ECDSA curve differs from the key type") }
            let q = try r.string()
            let d = try r.mpint()
            guard !d.isEmpty, d.count <= curve.fieldBytes else { throw SGError.malformedInput("openssh-key-v1: ECDSA private scalar has a bad size") }
            try KeyChecks.ecdsa(curve: curve, q: q, d: d)
            pub.string(curve.rawValue)
            pub.string(q)
        }
        let keyEnd = r.offset
        let comment = try r.text(maxLength: 8192)

        guard pub.bytes == publicKey.blob else {
            throw SGError.malformedInput("openssh-key-v1: the private key does not match the public key in the header")
        }
        // Padding: 1, 2, 3, ... up to the block size.
        var expected: UInt8 = 1
        while !r.isAtEnd {
            guard try r.byte() == expected else { throw SGError.malformedInput("openssh-key-v1: bad padding (trailing data after the key)") }
            expected += 1
        }
        guard expected <= UInt8(blockSize) else { throw SGError.malformedInput("openssh-key-v1: padding longer than a block") }

        let agentBlob = SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: section[keyStart..<keyEnd]))
        var withComment = publicKey
        withComment.comment = comment
        return PrivateKey(publicKey: withComment, agentBlob: agentBlob, comment: comment, encoding: .opensshV1)
    }
}
