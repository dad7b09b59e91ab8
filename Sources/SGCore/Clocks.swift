#if canImport(Glibc)
import Glibc
#endif

/// Monotonic seconds (CLOCK_MONOTONIC), for deadlines and elapsed time; never jumps with the
/// wall clock. Named so it does not shadow the standard library's `Clock` protocol.
///
///     let deadline = Monotonic.now + timeout
public enum Monotonic {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Wall-clock seconds since the epoch (CLOCK_REALTIME), for expiry times that are stored or
/// compared with a server's.
///
///     let expiresAt = WallClock.now + 3600
public enum WallClock {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
