#if canImport(Glibc)
import Glibc
#endif

/// A point in time, seconds since the Unix epoch: what the tools need of Foundation's `Date`,
/// without linking Foundation (docs/bench.md: it costs every process its start-up).
///
///     let expires = Instant.now.addingTimeInterval(3600)
///     if expires < Instant.now { … }
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let timeIntervalSince1970: Double

    public init(timeIntervalSince1970: Double) {
        self.timeIntervalSince1970 = timeIntervalSince1970
    }

    /// The wall clock (CLOCK_REALTIME), to the microsecond.
    public static var now: Instant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Instant(timeIntervalSince1970: Double(ts.tv_sec) + Double(ts.tv_nsec / 1000) / 1e6)
    }

    public func addingTimeInterval(_ seconds: Double) -> Instant {
        Instant(timeIntervalSince1970: timeIntervalSince1970 + seconds)
    }

    public func timeIntervalSince(_ other: Instant) -> Double {
        timeIntervalSince1970 - other.timeIntervalSince1970
    }

    public static func < (a: Instant, b: Instant) -> Bool { a.timeIntervalSince1970 < b.timeIntervalSince1970 }

    public var description: String { "Instant(\(timeIntervalSince1970))" }

    /// Local time with its UTC offset, for people: `2026-12-06 23:40:00 +0100`. A time printed
    /// without a zone is wrong by hours for anyone who reads it in another one (or in a cron log).
    public var localDisplay: String { formatted("%Y-%m-%d %H:%M:%S %z", utc: false) }

    /// strftime of the whole seconds (rounded down), in UTC or the local zone.
    private func formatted(_ format: String, utc: Bool) -> String {
        var tt = time_t(timeIntervalSince1970.rounded(.down))
        var t = tm()
        if utc { gmtime_r(&tt, &t) } else { localtime_r(&tt, &t) }
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, format, &t)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 3339 in UTC to the second, `2026-12-07T01:27:22Z`: the form credential protocols
    /// (AWS `Expiration`, Kubernetes `expirationTimestamp`) expect. Fractions are dropped, so
    /// the time printed is never later than the instant.
    public var rfc3339: String { formatted("%Y-%m-%dT%H:%M:%SZ", utc: true) }
}
