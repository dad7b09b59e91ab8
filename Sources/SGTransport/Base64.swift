import SGCore

/// Base64 and base64url for secrets (HTTP Basic credentials, PKCE verifiers, JWT payloads),
/// straight between `SecretBytes` so no `String` copy of a secret is made.
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes `data`; `urlSafe` uses `-_` and drops the `=` padding (RFC 4648 §5, as PKCE wants).
    public static func encode(_ data: SecretBytes, urlSafe: Bool = false) -> SecretBytes {
        let alphabet = urlSafe ? url : standard
        let out = SecretBuffer(capacity: (data.count + 2) / 3 * 4 + 4)
        data.withUnsafeBytes { raw in
            var i = 0
            while i + 3 <= raw.count {
                let v = UInt32(raw[i]) << 16 | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2])
                out.append([alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]])
                i += 3
            }
            let rest = raw.count - i
            if rest == 1 {
                let v = UInt32(raw[i]) << 16
                out.append([alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)]])
                if !urlSafe { out.append("==") }
            } else if rest == 2 {
                let v = UInt32(raw[i]) << 16 | UInt32(raw[i + 1]) << 8
                out.append([alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)]])
                if !urlSafe { out.append("=") }
            }
        }
        return out.take()
    }

    /// Decodes either alphabet, with or without padding; nil when the text is not base64.
    public static func decode(_ text: SecretBytes) -> SecretBytes? {
        text.withUnsafeBytes { raw -> SecretBytes? in
            let out = SecretBuffer(capacity: raw.count * 3 / 4 + 3)
            var acc: UInt32 = 0
            var bits = 0
            for c in raw {
                let v: UInt32
                switch c {
                case 0x41...0x5A: v = UInt32(c - 0x41)
                case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
                case 0x30...0x39: v = UInt32(c - 0x30 + 52)
                case 0x2B, 0x2D: v = 62
                case 0x2F, 0x5F: v = 63
                case 0x3D: continue
                default: return nil
                }
                acc = acc << 6 | v
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append([UInt8(truncatingIfNeeded: acc >> UInt32(bits))])
                }
            }
            return out.take()
        }
    }

    public static func decode(_ text: String) -> SecretBytes? { decode(SecretBytes(string: text)) }
}
