#if canImport(Glibc)
import Glibc
#endif

/// Numbers and dates in HTTP header values (`Retry-After`, `X-TokenLifetimeRemaining`), read on
/// bytes and bounded, so that no value a server sends can trap a conversion.
///
/// `Double("1e19")`, `Double("inf")` and `Double("nan")` all succeed, and turning such a value into
/// an `Int` traps; every number from the network goes through here instead.
///
///     HeaderNumber.retryAfter("120", now: WallClock.now)   // 120
///     HeaderNumber.decimal("59", limit: 1e6)                // 59
public enum HeaderNumber {
    /// The largest wait a `Retry-After` is taken to ask for (about 31 years): longer is the same
    /// "more than the deadline allows", and the value stays far inside `Int`'s range.
    public static let maxDelay: Double = 1e9

    /// A decimal number: optional `-`, digits, optional `.digits`, optional `e[+-]digits`, blanks
    /// around it. Values beyond `±limit` (including ones too large for a `Double`) become `±limit`;
    /// anything else (`inf`, `nan`, hex, blanks inside, empty) is nil.
    public static func decimal(_ text: Substring.UTF8View, limit: Double) -> Double? {
        let bytes = Array(trimmed(text))
        var i = 0
        func digits() -> Int {
            var n = 0
            while i < bytes.endIndex, isDigit(bytes[i]) { n += 1; i += 1 }
            return n
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") { i += 1 }
        var mantissa = digits()
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") { i += 1; mantissa += digits() }
        guard mantissa > 0 else { return nil }
        if i < bytes.endIndex, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == bytes.endIndex, let value = Double(String(decoding: bytes, as: UTF8.self)) else { return nil }
        // The grammar above admits no inf/nan spelling; a finite-looking text can still overflow.
        if value.isNaN { return nil }
        return min(max(value, -limit), limit)
    }

    public static func decimal(_ text: String, limit: Double) -> Double? {
        decimal(Substring(text).utf8, limit: limit)
    }

    /// `Retry-After` (RFC 9110 §10.2.3) as seconds to wait from `now` (wall clock): delay-seconds
    /// (a decimal fraction is tolerated) or an HTTP-date in any of its three forms. Clamped to
    /// `0...maxDelay`; nil when the value is neither (it is then ignored, as the RFC says).
    public static func retryAfter(_ text: String, now: Double) -> Double? {
        if let seconds = decimal(text, limit: maxDelay) {
            return seconds < 0 ? nil : seconds
        }
        guard let date = httpDate(text) else { return nil }
        return min(max(0, date - now), maxDelay)
    }

    /// An HTTP-date as seconds since the epoch: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
    /// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`).
    public static func httpDate(_ text: String) -> Double? {
        // Split on blanks, commas and dashes; the day name is ignored (it is redundant).
        let fields = trimmed(Substring(text).utf8)
            .split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "-") })
            .map { Array($0) }
        guard fields.count >= 5 else { return nil }
        var day: Int?, month: Int?, year: Int?, clock: (Int, Int, Int)?
        if fields.count == 6, fields[5] == Array("GMT".utf8) {
            // IMF-fixdate and RFC 850: DAYNAME DD MON YEAR HH:MM:SS GMT
            day = number(fields[1], maxDigits: 2)
            month = monthNumber(fields[2])
            year = number(fields[3], maxDigits: 4)
            clock = time(fields[4])
            if let y = year, fields[3].count == 2 { year = y < 70 ? 2000 + y : 1900 + y }
        } else if fields.count == 5 {
            // asctime: DAYNAME MON D HH:MM:SS YEAR
            month = monthNumber(fields[1])
            day = number(fields[2], maxDigits: 2)
            clock = time(fields[3])
            year = fields[4].count == 4 ? number(fields[4], maxDigits: 4) : nil
        }
        guard let day, let month, let year, let (hour, minute, second) = clock,
              (1...31).contains(day), (1...12).contains(month), year >= 1900,
              hour < 24, minute < 60, second < 61 else { return nil }
        var t = tm()
        t.tm_year = Int32(year - 1900)
        t.tm_mon = Int32(month - 1)
        t.tm_mday = Int32(day)
        t.tm_hour = Int32(hour)
        t.tm_min = Int32(minute)
        t.tm_sec = Int32(second)
        let epoch = timegm(&t)
        guard epoch != -1 else { return nil }
        return Double(epoch)
    }

    // MARK: - bytes

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func trimmed(_ text: Substring.UTF8View) -> Substring.UTF8View {
        var s = text
        while let f = s.first, f == 0x20 || f == 0x09 || f == 0x0D || f == 0x0A { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 || l == 0x0D || l == 0x0A { s = s.dropLast() }
        return s
    }

    private static func number(_ field: [UInt8], maxDigits: Int) -> Int? {
        guard !field.isEmpty, field.count <= maxDigits, field.allSatisfy(isDigit) else { return nil }
        return field.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    private static func time(_ field: [UInt8]) -> (Int, Int, Int)? {
        let parts = field.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 }),
              let h = number(Array(parts[0]), maxDigits: 2), let m = number(Array(parts[1]), maxDigits: 2),
              let s = number(Array(parts[2]), maxDigits: 2) else { return nil }
        return (h, m, s)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .map { Array($0.utf8) }

    private static func monthNumber(_ field: [UInt8]) -> Int? {
        guard field.count == 3 else { return nil }
        let lower = field.map { $0 | 0x20 }
        return months.firstIndex(of: lower).map { $0 + 1 }
    }
}

extension Double {
    /// This many seconds as whole milliseconds for an `Int` API, within `1...maxMs`: a NaN, an
    /// infinity or a value beyond `Int`'s range can never reach the conversion.
    func clampedMilliseconds(max maxMs: Int = 1 << 40) -> Int {
        guard isFinite else { return self > 0 ? maxMs : 1 }
        let ms = (self * 1000).rounded(.up)
        if ms <= 1 { return 1 }
        return ms >= Double(maxMs) ? maxMs : Int(ms)
    }
}
