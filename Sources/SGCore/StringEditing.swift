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

    /// Without leading and trailing spaces, tabs, CRs and LFs.
    public func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
