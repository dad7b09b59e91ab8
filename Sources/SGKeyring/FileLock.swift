import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a lock file, held until `unlock()` or deinit; the lock goes away
/// with the process, so a killed writer never leaves a stale lock.
///
///     let lock = try FileLock.acquire(path, timeout: 10)
///     defer { lock.unlock() }
public final class FileLock {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Waits up to `timeout` seconds for the lock (creating the file 0600).
    public static func acquire(_ path: String, timeout: Double) throws -> FileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SGError.io("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        let deadline = Monotonic.now + timeout
        var delay: UInt32 = 2_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            guard e == EWOULDBLOCK else {
                close(fd)
                throw SGError.io("cannot lock \(path): \(String(cString: strerror(e)))")
            }
            if Monotonic.now >= deadline {
                close(fd)
                throw SGError.timeout("another sg process holds \(path)")
            }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        return FileLock(fd: fd)
    }

    public func unlock() {
        guard fd >= 0 else { return }
        close(fd)   // releases the flock
        fd = -1
    }

    deinit { unlock() }
}
