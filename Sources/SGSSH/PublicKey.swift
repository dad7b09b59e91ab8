import SGCore
import SGCrypto

/// The SSH key algorithms sg handles (the ones Safeguard serves and ssh-agent accepts).
public enum SSHKeyType: Equatable, Sendable {
    case ed25519
    case rsa
    case ecdsa(ECDSACurve)

    /// The wire name: `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...
    public var name: String {
        switch self {
        case .ed25519: return "ssh-ed25519"
        case .rsa: return "ssh-rsa"
        case .ecdsa(let c): return "ecdsa-sha2-\(c.rawValue)"
        }
    }

    /// The label `ssh-keygen -l` prints in parentheses.
    public var label: String {
        switch self {
        case .ed25519: return "ED25519"
        case .rsa: return "RSA"
        case .ecdsa: return "ECDSA"
        }
    }

    public init?(name: String) {
        switch name {
        case "ssh-ed25519": self = .ed25519
        case "ssh-rsa": self = .rsa
        default:
            guard name.hasPrefix("ecdsa-sha2-"), let c = ECDSACurve(rawValue: String(name.dropFirst(11))) else { return nil }
            self = .ecdsa(c)
        }
    }
}

public enum ECDSACurve: String, Sendable, CaseIterable {
    case nistp256, nistp384, nistp521

    public var bits: Int {
        switch self {
        case .nistp256: return 256
        case .nistp384: return 384
        case .nistp521: return 521
        }
    }

    /// Bytes of one coordinate.
    var fieldBytes: Int { named.fieldBytes }

    /// The curve in SGCrypto's terms.
    var named: NamedCurve {
        switch self {
        case .nistp256: return .p256
        case .nistp384: return .p384
        case .nistp521: return .p521
        }
    }

    /// From OpenSSL's group name (`OSSL_PKEY_PARAM_GROUP_NAME`).
    init?(opensslGroup: String) {
        switch opensslGroup {
        case "prime256v1", "P-256", "secp256r1": self = .nistp256
        case "secp384r1", "P-384": self = .nistp384
        case "secp521r1", "P-521": self = .nistp521
        default: return nil
        }
    }
}

/// An SSH public key: its wire blob (RFC 4253 §6.6), with the fingerprint, bit size and the
/// `authorized_keys` line derived from it exactly as `ssh-keygen -l` / `-y` print them.
///
///     let pub = try PublicKey(authorizedKeysLine: "ssh-ed25519 AAAA... me@host")
///     print(pub.fingerprint)   // SHA256:...
public struct PublicKey: Equatable, Sendable, CustomStringConvertible {
    public let type: SSHKeyType
    /// The wire encoding (`string type` + per-type fields).
    public let blob: [UInt8]
    /// Size in bits (RSA modulus bits, the ECDSA curve size, 256 for Ed25519).
    public let bits: Int
    public var comment: String

    /// Parses and validates a wire blob (from the agent, a key file or an authorized_keys line).
    public init(blob: [UInt8], comment: String = "") throws {
        var type: SSHKeyType = .ed25519
        var bits = 0
        try blob.withUnsafeBytes { raw in
            var r = SSHReader(raw, context: "public key")
            let name = try r.text(maxLength: 64)
            guard let t = SSHKeyType(name: name) else { throw SGError.malformedInput("public key: unsupported key type '\(name)'") }
            type = t
            switch t {
            case .ed25519:
                guard try r.string().count == 32 else { throw SGError.malformedInput("public key: Ed25519 key is not 32 bytes") }
                bits = 256
            case .rsa:
                let e = try r.mpint(), n = try r.mpint()
                guard e.count > 0, n.count > 0 else { throw SGError.malformedInput("public key: empty RSA field") }
                bits = bitLength(n)
            case .ecdsa(let c):
                guard try r.text(maxLength: 16) == c.rawValue else { throw SGError.malformedInput("public key: ECDSA curve does not match the key type") }
                let q = try r.string()
                guard q.count == 1 + 2 * c.fieldBytes, q[0] == 4 else { throw SGError.malformedInput("public key: ECDSA point is not an uncompressed \(c.rawValue) point") }
                bits = c.bits
            }
            guard r.isAtEnd else { throw SGError.malformedInput("public key: \(r.remaining) trailing bytes") }
        }
        self.type = type
        self.blob = blob
        self.bits = bits
        self.comment = comment
    }

    /// Parses `TYPE BASE64 [COMMENT]` (options in front of the type are not accepted).
    public init(authorizedKeysLine line: String) throws {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, let blob = Base64.decode(String(parts[1])) else {
            throw SGError.malformedInput("public key line: expected 'TYPE BASE64 [COMMENT]'")
        }
        try self.init(blob: blob, comment: parts.count > 2 ? String(parts[2]).trimmingASCIIWhitespace() : "")
        guard type.name == parts[0] else { throw SGError.malformedInput("public key line: type \(parts[0]) does not match the key (\(type.name))") }
    }

    /// `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it.
    public var fingerprint: String {
        var b64 = Base64.encode(Digest.sha256(blob))
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    /// `TYPE BASE64[ COMMENT]`, one line for authorized_keys or a `.pub` file.
    public var authorizedKeysLine: String {
        let base = "\(type.name) \(Base64.encode(blob))"
        // The comment comes from the appliance or a file: no control character may reach a terminal
        // or split the line.
        return comment.isEmpty ? base : "\(base) \(comment.escapingControlCharacters())"
    }

    /// The line `ssh-keygen -l` and `ssh-add -l` print: `BITS SHA256:... COMMENT (TYPE)`.
    public var listingLine: String {
        "\(bits) \(fingerprint) \(comment.isEmpty ? "no comment" : comment.escapingControlCharacters()) (\(type.label))"
    }

    public var description: String { listingLine }

    /// Same key, ignoring the comment.
    public func sameKey(as other: PublicKey) -> Bool { blob == other.blob }
}

func bitLength(_ magnitude: UnsafeRawBufferPointer) -> Int {
    var i = 0
    while i < magnitude.count && magnitude[i] == 0 { i += 1 }
    guard i < magnitude.count else { return 0 }
    return (magnitude.count - i - 1) * 8 + (8 - magnitude[i].leadingZeroBitCount)
}

