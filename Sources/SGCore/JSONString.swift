/// JSON string literals for secrets, without passing through `String` (which cannot be wiped).
///
/// A2A answers a password or private key as one JSON string literal (`"p\u00e4ss\n"`), and sets
/// them from one; this decodes and encodes those bytes straight between `SecretBytes`.
public enum JSONString {
    /// Decodes a document that is exactly one JSON string literal (surrounding whitespace allowed).
    public static func decodeLiteral(_ json: SecretBytes) throws -> SecretBytes {
        try json.withUnsafeBytes { raw -> SecretBytes in
            var i = 0
            var end = raw.count
            while i < end, isSpace(raw[i]) { i += 1 }
            while end > i, isSpace(raw[end - 1]) { end -= 1 }
            guard end - i >= 2, raw[i] == 0x22, raw[end - 1] == 0x22 else {
                throw SGError.unexpectedResponse("expected a JSON string")
            }
            let out = SecretBuffer(capacity: end - i)
            var p = i + 1
            let stop = end - 1
            var pendingHigh: UInt32?
            func emit(_ scalar: UInt32) throws {
                guard let u = Unicode.Scalar(scalar) else { throw SGError.unexpectedResponse("bad \\u escape in JSON string") }
                var utf8: [UInt8] = []
                UTF8.encode(u) { utf8.append($0) }
                out.append(utf8)
                SecretBytes.wipe(&utf8)
            }
            while p < stop {
                let c = raw[p]
                if c == 0x5C {
                    guard p + 1 < stop else { throw SGError.unexpectedResponse("JSON string ends in a backslash") }
                    let e = raw[p + 1]
                    p += 2
                    if e == 0x75 {
                        guard p + 4 <= stop else { throw SGError.unexpectedResponse("short \\u escape in JSON string") }
                        var v: UInt32 = 0
                        for k in 0..<4 {
                            guard let d = hexValue(raw[p + k]) else { throw SGError.unexpectedResponse("bad \\u escape in JSON string") }
                            v = v << 4 | d
                        }
                        p += 4
                        if (0xD800...0xDBFF).contains(v) {
                            if pendingHigh != nil { throw SGError.unexpectedResponse("unpaired surrogate in JSON string") }
                            pendingHigh = v
                            continue
                        }
                        if (0xDC00...0xDFFF).contains(v) {
                            guard let high = pendingHigh else { throw SGError.unexpectedResponse("unpaired surrogate in JSON string") }
                            pendingHigh = nil
                            try emit(0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00))
                            continue
                        }
                        if pendingHigh != nil { throw SGError.unexpectedResponse("unpaired surrogate in JSON string") }
                        try emit(v)
                        continue
                    }
                    if pendingHigh != nil { throw SGError.unexpectedResponse("unpaired surrogate in JSON string") }
                    let mapped: UInt8
                    switch e {
                    case 0x22: mapped = 0x22
                    case 0x5C: mapped = 0x5C
                    case 0x2F: mapped = 0x2F
                    case 0x62: mapped = 0x08
                    case 0x66: mapped = 0x0C
                    case 0x6E: mapped = 0x0A
                    case 0x72: mapped = 0x0D
                    case 0x74: mapped = 0x09
                    default: throw SGError.unexpectedResponse("bad escape in JSON string")
                    }
                    out.append([mapped])
                    continue
                }
                if pendingHigh != nil { throw SGError.unexpectedResponse("unpaired surrogate in JSON string") }
                if c == 0x22 || c < 0x20 { throw SGError.unexpectedResponse("control character or quote inside JSON string") }
                out.append([c])
                p += 1
            }
            if pendingHigh != nil { throw SGError.unexpectedResponse("unpaired surrogate in JSON string") }
            return out.take()
        }
    }

    /// Encodes bytes (UTF-8) as one JSON string literal.
    public static func encodeLiteral(_ value: SecretBytes) -> SecretBytes {
        let out = SecretBuffer(capacity: value.count + 16)
        appendLiteral(value, to: out)
        return out.take()
    }

    /// Appends `value` as a JSON string literal to `out`.
    public static func appendLiteral(_ value: SecretBytes, to out: SecretBuffer) {
        out.append([0x22])
        value.withUnsafeBytes { raw in
            for c in raw {
                switch c {
                case 0x22: out.append([0x5C, 0x22])
                case 0x5C: out.append([0x5C, 0x5C])
                case 0x0A: out.append([0x5C, 0x6E])
                case 0x0D: out.append([0x5C, 0x72])
                case 0x09: out.append([0x5C, 0x74])
                case 0x08: out.append([0x5C, 0x62])
                case 0x0C: out.append([0x5C, 0x66])
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append([0x5C, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                default: out.append([c])
                }
            }
        }
        out.append([0x22])
    }

    /// Encodes a plain string as a JSON string literal (for non-secret values).
    public static func quote(_ s: String) -> String {
        encodeLiteral(SecretBytes(string: s)).unsafeString()
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
    private static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }
}
