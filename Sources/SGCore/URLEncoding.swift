/// Percent-encoding for query strings and form bodies (RFC 3986 unreserved characters kept).
public enum URLEncoding {
    public static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 { appendEncoded(b, to: &out) }
        return out
    }

    /// Encodes a secret into a form/query buffer without making a `String` of it.
    public static func appendEncoded(_ secret: SecretBytes, to out: SecretBuffer) {
        secret.withUnsafeBytes { raw in
            for b in raw {
                if isUnreserved(b) { out.append([b]) } else {
                    let hex = Array("0123456789ABCDEF".utf8)
                    out.append([0x25, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                }
            }
        }
    }

    /// `application/x-www-form-urlencoded` body from fields whose values may be secret.
    public static func form(_ fields: [(String, SecretBytes)]) -> SecretBytes {
        let out = SecretBuffer()
        for (i, (k, v)) in fields.enumerated() {
            if i > 0 { out.append("&") }
            out.append(percentEncode(k))
            out.append("=")
            appendEncoded(v, to: out)
        }
        return out.take()
    }

    /// Decodes %XX and '+' (form encoding).
    public static func percentDecode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == 0x25, it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else if b == 0x2B {
                bytes.append(0x20)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `key=value` pairs of a query string or URL fragment.
    public static func parameters(_ query: Substring) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(kv[0]), kv.count > 1 ? percentDecode(kv[1]) : "")
        }
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
    }

    private static func appendEncoded(_ b: UInt8, to out: inout String) {
        if isUnreserved(b) { out.append(Character(Unicode.Scalar(b))) } else {
            let hex = Array("0123456789ABCDEF".utf8)
            out.append("%")
            out.append(Character(Unicode.Scalar(hex[Int(b >> 4)])))
            out.append(Character(Unicode.Scalar(hex[Int(b & 0xF)])))
        }
    }
}
