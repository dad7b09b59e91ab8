import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// `expires_in` as ArkKeyring reads and writes it.
///
/// Every Ark writer stores a *naive local* time (`datetime.now() + timedelta(...)`), which
/// pydantic writes as `YYYY-MM-DDTHH:MM:SS[.ffffff]`; sg writes the same. On reading, sg accepts
/// what pydantic's lax datetime mode accepts: `T` or space, 1–9 fraction digits, `Z` or a
/// `±HH:MM` offset, a date alone, and an integer or float Unix epoch (milliseconds above 2e10).
/// One deliberate difference: Ark drops an explicit offset without converting
/// (`.replace(tzinfo=None)`); sg honours it. The two agree for every value either SDK writes.
public enum ArkDate {
    /// Parses a JSON `expires_in` value; nil for a value pydantic would reject.
    public static func parse(_ value: JSONValue) -> Instant? {
        switch value {
        case .number(let n): return Double(n).flatMap(fromEpoch)
        case .string(let s): return parse(s.unsafeString())
        default: return nil
        }
    }

    /// Years 1 to 9999, as Python's datetime (pydantic rejects epochs outside them).
    static let epochRange: ClosedRange<Double> = -62_135_596_800 ... 253_402_300_799

    static func fromEpoch(_ x: Double) -> Instant? {
        let seconds = abs(x) > 2e10 ? x / 1000 : x
        // 1e308 or -1e308 would make format() trap converting to Int; pydantic refuses them too.
        guard seconds.isFinite, epochRange.contains(seconds) else { return nil }
        return Instant(timeIntervalSince1970: seconds)
    }

    public static func parse(_ text: String) -> Instant? {
        let s = Array(text.utf8)
        if !s.isEmpty, s.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }),
           s.contains(where: { $0 >= 0x30 && $0 <= 0x39 }), !(s.count >= 10 && s[4] == 0x2D),
           let x = Double(text) {
            return fromEpoch(x)
        }
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = s[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func eat(_ c: UInt8) -> Bool {
            if i < s.count && s[i] == c { i += 1; return true }
            return false
        }
        guard let year = num(4), eat(0x2D), let month = num(2), eat(0x2D), let day = num(2) else { return nil }
        var hour = 0, minute = 0, second = 0, micro = 0
        var offset: Int? = nil
        if i < s.count {
            guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " "), UInt8(ascii: "_")].contains(s[i]) else { return nil }
            i += 1
            guard let h = num(2), eat(0x3A), let m = num(2) else { return nil }
            hour = h; minute = m
            if eat(0x3A) {
                guard let sec = num(2) else { return nil }
                second = sec
                if eat(0x2E) || eat(0x2C) {
                    var digits = 0
                    while i < s.count, s[i] >= 0x30, s[i] <= 0x39 {
                        if digits < 6 { micro = micro * 10 + Int(s[i] - 0x30) }
                        digits += 1; i += 1
                    }
                    guard digits > 0 && digits <= 9 else { return nil }
                    if digits < 6 { for _ in digits..<6 { micro *= 10 } }
                }
            }
            if eat(UInt8(ascii: "Z")) || eat(UInt8(ascii: "z")) {
                offset = 0
            } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = num(2) else { return nil }
                _ = eat(0x3A)
                let om = num(2) ?? 0
                offset = sign * (oh * 3600 + om * 60)
            }
        }
        guard i == s.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var t = tm()
        t.tm_year = Int32(year - 1900); t.tm_mon = Int32(month - 1); t.tm_mday = Int32(day)
        t.tm_hour = Int32(hour); t.tm_min = Int32(minute); t.tm_sec = Int32(second)
        let seconds: Int
        if let offset {
            seconds = Int(timegm(&t)) - offset
        } else {
            t.tm_isdst = -1
            seconds = Int(mktime(&t))
        }
        return Instant(timeIntervalSince1970: Double(seconds) + Double(micro) / 1e6)
    }

    /// Naive local ISO-8601 as pydantic writes a naive datetime: `.ffffff` only when non-zero.
    public static func format(_ date: Instant) -> String {
        let clamped = min(max(date.timeIntervalSince1970, epochRange.lowerBound), epochRange.upperBound)
        let total = (clamped * 1e6).rounded()
        var secs = Int(floor(total / 1e6))
        let micro = Int(total - Double(secs) * 1e6)
        var t = tm()
        var tt = time_t(secs)
        localtime_r(&tt, &t)
        secs = 0
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        var out = "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
        out += "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2))"
        if micro != 0 { out += "." + pad(Int32(micro), 6) }
        return out
    }
}
