import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// An SSH private key held in wiped memory, ready for ssh-agent.
///
/// It keeps the key in the agent's own encoding (`string type` + the per-type private fields of
/// draft-miller-ssh-agent §4.2: Ed25519 `pk, seed‖pk`; RSA `n, e, d, iqmp, p, q`; ECDSA
/// `curve, Q, d`), so adding it is one message, and derives the public key from it.
///
///     switch try PrivateKey.read(fetched, passphrase: pass) {
///     case .key(let key): try SSHAgentClient.fromEnvironment().add(key, lifetime: 3600)
///     case .needsSSHAdd: // encrypted openssh-key-v1: run `ssh-add -` with sg-askpass
///     }
public final class PrivateKey: @unchecked Sendable {
    public let publicKey: PublicKey
    /// The comment stored in the key file (openssh-key-v1 only), else empty.
    public let comment: String
    /// Where the key came from.
    public let encoding: Encoding
    /// The agent encoding of the private key, without the comment.
    let agentBlob: SecretBytes

    public enum Encoding: String, Sendable {
        case legacyPEM = "PEM"
        case pkcs8 = "PKCS#8"
        case opensshV1 = "openssh-key-v1"
    }

    init(publicKey: PublicKey, agentBlob: SecretBytes, comment: String, encoding: Encoding) {
        self.publicKey = publicKey
        self.agentBlob = agentBlob
        self.comment = comment
        self.encoding = encoding
    }

    public var type: SSHKeyType { publicKey.type }

    /// The public key carrying this key's comment (or `comment` when given).
    public func publicKey(comment: String? = nil) -> PublicKey {
        var p = publicKey
        p.comment = comment ?? self.comment
        return p
    }
}

/// What reading a key file gives.
public enum PrivateKeyReadResult {
    /// A usable key.
    case key(PrivateKey)
    /// An encrypted openssh-key-v1 key (bcrypt KDF). sg does not implement bcrypt_pbkdf: hand the
    /// key text to `ssh-add -` with sg-askpass answering its passphrase (`SSHAddRunner`).
    /// The public key is readable without the passphrase.
    case needsSSHAdd(publicKey: PublicKey, cipher: String, kdf: String)

    public var publicKey: PublicKey {
        switch self {
        case .key(let k): return k.publicKey(comment: nil)
        case .needsSSHAdd(let p, _, _): return p
        }
    }
}

extension PrivateKey {
    /// The largest key text accepted (an RSA-16384 PEM is about 13 KB).
    public static let maximumSize = 1 << 20

    /// Reads an OpenSSH-format private key as the appliance serves it (`keyFormat=OpenSsh`):
    /// legacy PEM (`BEGIN RSA/EC PRIVATE KEY`, optionally encrypted), PKCS#8 (`BEGIN PRIVATE KEY`,
    /// `BEGIN ENCRYPTED PRIVATE KEY`) or openssh-key-v1 (`BEGIN OPENSSH PRIVATE KEY`).
    ///
    /// `passphrase` decrypts PEM and PKCS#8 keys; OpenSSL is never allowed to prompt. Every
    /// failure is `SGError.malformedInput` (the text names the problem, never key bytes).
    public static func read(_ text: SecretBytes, passphrase: SecretBytes? = nil) throws -> PrivateKeyReadResult {
        guard text.count <= maximumSize else { throw SGError.malformedInput("private key: larger than \(maximumSize) bytes") }
        return try text.withUnsafeBytes { raw in
            guard let label = pemLabel(raw) else {
                if startsWith(raw, "PuTTY-User-Key-File-") {
                    throw SGError.malformedInput("private key: PuTTY format cannot be used by ssh; fetch it with --format openssh")
                }
                if find(raw, "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", from: 0) != nil {
                    throw SGError.malformedInput("private key: SSH2 (Tectia) format cannot be used by ssh; fetch it with --format openssh")
                }
                throw SGError.malformedInput("private key: no '-----BEGIN ... PRIVATE KEY-----' line found")
            }
            switch label {
            case "OPENSSH PRIVATE KEY":
                let blob = try dearmor(raw, label: label)
                return try OpenSSHKeyV1.parse(blob)
            case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
                return .key(try OpenSSLKeyReader.read(text, passphrase: passphrase,
                                                      encoding: label.hasPrefix("RSA") || label.hasPrefix("EC") ? .legacyPEM : .pkcs8))
            case "DSA PRIVATE KEY":
                throw SGError.malformedInput("private key: DSA keys are not supported (OpenSSH disabled them)")
            default:
                throw SGError.malformedInput("private key: unsupported PEM type '\(label)'")
            }
        }
    }

    /// The label of the first `-----BEGIN LABEL-----` line.
    static func pemLabel(_ raw: UnsafeRawBufferPointer) -> String? {
        guard let begin = find(raw, "-----BEGIN ", from: 0) else { return nil }
        let start = begin + 11
        guard let end = find(raw, "-----", from: start), end - start <= 64 else { return nil }
        let label = UnsafeRawBufferPointer(rebasing: raw[start..<end])
        guard label.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x20 || ($0 >= 0x30 && $0 <= 0x39) }) else { return nil }
        return String(decoding: label, as: UTF8.self)
    }

    /// The base64 body between the BEGIN and END lines, decoded into wiped memory.
    static func dearmor(_ raw: UnsafeRawBufferPointer, label: String) throws -> SecretBytes {
        let beginLine = "-----BEGIN \(label)-----", endLine = "-----END \(label)-----"
        guard let b = find(raw, beginLine, from: 0) else { throw SGError.malformedInput("private key: no BEGIN line") }
        let bodyStart = b + beginLine.utf8.count
        guard let e = find(raw, endLine, from: bodyStart) else {
            throw SGError.malformedInput("private key: no '\(endLine)' line (truncated?)")
        }
        guard let blob = Base64.decodeSecret(UnsafeRawBufferPointer(rebasing: raw[bodyStart..<e])) else {
            throw SGError.malformedInput("private key: the base64 body is damaged")
        }
        return blob
    }
}

func find(_ raw: UnsafeRawBufferPointer, _ needle: String, from: Int) -> Int? {
    let n = Array(needle.utf8)
    guard !n.isEmpty, raw.count >= n.count, from <= raw.count - n.count else { return nil }
    var i = from
    while i <= raw.count - n.count {
        if raw[i] == n[0] {
            var ok = true
            for j in 1..<n.count where raw[i + j] != n[j] { ok = false; break }
            if ok { return i }
        }
        i += 1
    }
    return nil
}

func startsWith(_ raw: UnsafeRawBufferPointer, _ prefix: String) -> Bool {
    let p = Array(prefix.utf8)
    guard raw.count >= p.count else { return false }
    for i in 0..<p.count where raw[i] != p[i] { return false }
    return true
}
