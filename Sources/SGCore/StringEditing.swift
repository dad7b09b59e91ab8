/// The few string edits the tools need, on UTF-8 bytes, so no module has to import Foundation
/// for them (Foundation costs every process its start-up: docs/bench.md).
extension String {
    /// Every occurrence of `target` replaced, left to right, without overlaps.
    ///
    ///     "a'b".replacingAll("'", with: "'\\''")   // a'\''b
    public func replacingAll(_ target: String, with replacement: String) -> String {
        let t = Array(target.utf8), r = Array(replacement.utf8), s = Array(utf8)
        guard !t.isEmpty, s.count >= t.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + t.count <= s.count && s[i..<(i + t.count)].elementsEqual(t) {
                out += r
                i += t.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Without leading and trailing ASCII whitespace (space, tab, LF, VT, FF, CR), cut on bytes:
    /// `"\r\n"` is one Swift Character that equals neither `"\r"` nor `"\n"`, so a Character
    /// loop would keep a CRLF ending. The one trimmer of every module.
    public func trimmingASCIIWhitespace() -> String {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { !ASCII.isWhitespace($0) }) else { return "" }
        let last = bytes.lastIndex(where: { !ASCII.isWhitespace($0) })!
        if first == bytes.startIndex && bytes.index(after: last) == bytes.endIndex { return self }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// Whether the text holds a C0 control character (including CR, LF, tab and NUL), DEL, or a
    /// C1 control (U+0080–U+009F, which some terminals obey like ESC), tested on the UTF-8 bytes.
    public var containsControlCharacters: Bool {
        var previous: UInt8 = 0
        for b in utf8 {
            if ASCII.isControl(b) || (previous == 0xC2 && (0x80...0x9F).contains(b)) { return true }
            previous = b
        }
        return false
    }

    /// The text made safe for a terminal: C0 controls and DEL as `\n`, `\r`, `\t` or `\xNN`, and C1
    /// controls and the bidirectional overrides (which reorder what the reader sees) as `\u{NNNN}`.
    /// Backslashes are kept, so escaping twice changes nothing. For text that came from the
    /// network, a file or a command line before it reaches stderr.
    public func escapingControlCharacters() -> String {
        let b = Array(utf8)
        var out: [UInt8] = []
        var i = 0
        func emit(_ text: String) {
            if out.isEmpty { out.reserveCapacity(b.count + 16); out += b[0..<i] }
            out += text.utf8
        }
        while i < b.count {
            let c = b[i]
            if ASCII.isControl(c) {
                switch c {
                case 0x0A: emit("\\n")
                case 0x0D: emit("\\r")
                case 0x09: emit("\\t")
                default: emit("\\x" + ASCII.hex(c))
                }
                i += 1
                continue
            }
            // U+0080–U+009F is C2 80–C2 9F; U+202A–U+202E is E2 80 AA–AE; U+2066–U+2069 is E2 81 A6–A9.
            if c == 0xC2, i + 1 < b.count, (0x80...0x9F).contains(b[i + 1]) {
                emit("\\u{00" + ASCII.hex(b[i + 1]) + "}")
                i += 2
                continue
            }
            if c == 0xE2, i + 2 < b.count,
               (b[i + 1] == 0x80 && (0xAA...0xAE).contains(b[i + 2])) || (b[i + 1] == 0x81 && (0xA6...0xA9).contains(b[i + 2])) {
                let scalar = b[i + 1] == 0x80 ? 0x2000 + Int(b[i + 2] - 0x80) : 0x2040 + Int(b[i + 2] - 0x80)
                emit("\\u{" + String(scalar, radix: 16, uppercase: true) + "}")
                i += 3
                continue
            }
            if !out.isEmpty { out.append(c) }
            i += 1
        }
        return out.isEmpty ? self : String(decoding: out, as: UTF8.self)
    }
}

/// Byte classes for validating text on its UTF-8 bytes (STYLE.md: never on Swift Characters).
public enum ASCII {
    /// Space, tab, LF, VT, FF, CR.
    @inlinable public static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
    /// C0 controls (0x00–0x1F) and DEL.
    @inlinable public static func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0x0F)]], as: UTF8.self)
    }
}
