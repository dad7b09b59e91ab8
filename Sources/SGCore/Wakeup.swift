#if canImport(Glibc)
import Glibc
#endif

/// A flag one thread raises and another waits for, with a time limit: the long-running watchers
/// (event stream keep-alive, backoff, polling) sleep on it so a stop or a new piece of work wakes
/// them at once instead of at the next poll of a flag. The mutex and condition live on the heap
/// (STYLE.md: never a pthread_mutex_t stored in a class and passed as `&lock`).
///
///     let wake = Wakeup()
///     if wake.wait(seconds: 15) { /* signalled */ } else { /* timed out */ }
public final class Wakeup: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var raised = false

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Raises the flag and wakes a waiter (the flag stays raised until a wait takes it).
    public func signal() {
        pthread_mutex_lock(mutex)
        raised = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until the flag is raised (true, and lowers it) or `seconds` pass (false).
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let end = Monotonic.now + max(0, seconds)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !raised {
            let left = end - Monotonic.now
            if left <= 0 { return false }
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let ns = Int(ts.tv_nsec) + Int((left - left.rounded(.down)) * 1e9)
            ts.tv_sec += Int(left) + ns / 1_000_000_000
            ts.tv_nsec = ns % 1_000_000_000
            _ = pthread_cond_timedwait(cond, mutex, &ts)
        }
        raised = false
        return true
    }
}

/// Runs `body` on a new detached thread (the watchers' stream, keep-alive and worker threads).
public func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var tid = pthread_t()
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    let rc = pthread_create(&tid, &attr, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box)
    pthread_attr_destroy(&attr)
    if rc != 0 {
        // No thread to be had: run it here rather than lose it.
        Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
    }
}
