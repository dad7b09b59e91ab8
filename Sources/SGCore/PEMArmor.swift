/// What a PEM file holds, read from its armour lines without decoding it (and without copying the
/// bytes out of their SecretBytes).
///
///     if PEMArmor.isEncryptedPrivateKey(keyPEM) { /* ask for the passphrase */ }
public enum PEMArmor {
    /// A legacy encrypted PEM key (`Proc-Type: 4,ENCRYPTED`) or PKCS#8 `BEGIN ENCRYPTED PRIVATE KEY`.
    public static func isEncryptedPrivateKey(_ pem: SecretBytes) -> Bool {
        pem.contains("Proc-Type: 4,ENCRYPTED") || pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    }

    /// `BEGIN PRIVATE KEY`, `BEGIN RSA/EC PRIVATE KEY`, … but not `OPENSSH PRIVATE KEY`, which
    /// OpenSSL and libcurl cannot read.
    public static func isPrivateKey(_ pem: SecretBytes) -> Bool {
        pem.contains("-----BEGIN ") && pem.contains("PRIVATE KEY-----") && !pem.contains("OPENSSH PRIVATE KEY")
    }

    /// Holds a `-----BEGIN LABEL-----` line (certificates, which are not secret).
    public static func contains(_ pem: [UInt8], label: String) -> Bool {
        pem.withUnsafeBytes { occurs("-----BEGIN \(label)-----", in: $0) }
    }

    /// Whether `needle`'s UTF-8 bytes occur in `raw`.
    static func occurs(_ needle: String, in raw: UnsafeRawBufferPointer) -> Bool {
        let n = Array(needle.utf8)
        guard !n.isEmpty else { return true }
        guard raw.count >= n.count else { return false }
        for i in 0...(raw.count - n.count) where raw[i] == n[0] && raw[i..<(i + n.count)].elementsEqual(n) {
            return true
        }
        return false
    }
}

extension SecretBytes {
    /// Whether `needle`'s UTF-8 bytes occur in the secret, searched in place.
    public func contains(_ needle: String) -> Bool {
        withUnsafeBytes { PEMArmor.occurs(needle, in: $0) }
    }
}
