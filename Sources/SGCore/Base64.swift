/// Base64 (RFC 4648) in one place: standard and base64url, for secrets straight between
/// `SecretBytes` (HTTP Basic credentials, PKCE verifiers, JWT payloads, key bodies) and for
/// public data as plain arrays and strings (SSH public keys, fingerprints).
public enum Base64 {
    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes `data`; `urlSafe` uses `-_` and drops the `=` padding (RFC 4648 §5, as PKCE wants).
    public static func encode(_ data: SecretBytes, urlSafe: Bool = false) -> SecretBytes {
        let alphabet = urlSafe ? url : standardAlphabet
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

    // MARK: strict, for public data and PEM bodies

    private static let strictAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in strictAlphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [strictAlphabet[Int(v >> 18)], strictAlphabet[Int((v >> 12) & 63)], strictAlphabet[Int((v >> 6) & 63)], strictAlphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [strictAlphabet[Int(v >> 18)], strictAlphabet[Int((v >> 12) & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [strictAlphabet[Int(v >> 18)], strictAlphabet[Int((v >> 12) & 63)], strictAlphabet[Int((v >> 6) & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        let ok = Array(text.utf8).withUnsafeBytes { decode($0, skipWhitespace: false, into: &out) }
        return ok ? out : nil
    }

    /// Decodes base64 text (whitespace allowed between characters) into a wiped buffer.
    public static func decodeSecret(_ text: UnsafeRawBufferPointer) -> SecretBytes? {
        var out: [UInt8] = []
        defer { SecretBytes.wipe(&out) }
        out.reserveCapacity(text.count / 4 * 3 + 3)
        guard decode(text, skipWhitespace: true, into: &out) else { return nil }
        return SecretBytes(bytes: out)
    }

    /// Strict: padding only at the end, no stray characters, a length that is whole quads.
    private static func decode(_ text: UnsafeRawBufferPointer, skipWhitespace: Bool, into out: inout [UInt8]) -> Bool {
        var acc: UInt32 = 0, n = 0, pad = 0
        for c in text {
            if skipWhitespace && (c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) { continue }
            if c == UInt8(ascii: "=") {
                pad += 1
                guard pad <= 2 else { return false }
                acc <<= 6; n += 1
            } else {
                guard pad == 0 else { return false }
                let v = table[Int(c)]
                guard v >= 0 else { return false }
                acc = acc << 6 | UInt32(v); n += 1
            }
            if n == 4 {
                out.append(UInt8(acc >> 16))
                if pad < 2 { out.append(UInt8((acc >> 8) & 0xff)) }
                if pad < 1 { out.append(UInt8(acc & 0xff)) }
                acc = 0; n = 0
            }
        }
        acc = 0
        return n == 0
    }
}
