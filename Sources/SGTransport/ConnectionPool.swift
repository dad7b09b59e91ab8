import CCurlShim
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// A small pool of curl handles that share one connection cache, TLS session cache and DNS
/// cache, so N requests in one process cost one handshake per appliance, and up to `size`
/// requests run at once.
final class ConnectionPool: @unchecked Sendable {
    let size: Int
    private let share: UnsafeMutableRawPointer?
    /// `idle` and `created` are read and written only with `lock` held.
    private var idle: [CurlHandle] = []
    private var created = 0
    private let lock = ConditionLock()
    private let bodyLimit: Int

    init(size: Int, bodyLimit: Int = 16 << 20) throws {
        try CurlLibrary.ensureLoaded()
        self.size = max(1, size)
        self.bodyLimit = bodyLimit
        share = sgcurl_share_new()
    }

    deinit {
        idle.removeAll()
        // Every handle is back and cleaned up by now (withHandle keeps the pool alive while one is
        // out), so the share is free; were one still using it, the shim keeps share and mutexes.
        _ = sgcurl_share_free(share)
    }

    /// Handles made so far (at most `size`), for tests.
    var handlesCreated: Int { lock.withLock { created } }

    /// Runs `body` with a handle of its own; waits while all `size` handles are busy.
    func withHandle<R>(_ body: (CurlHandle) throws -> R) throws -> R {
        let handle = try checkout()
        defer { checkin(handle) }
        return try body(handle)
    }

    private func checkout() throws -> CurlHandle {
        try lock.withLock {
            while true {
                if let h = idle.popLast() { return h }
                if created < size {
                    created += 1
                    do {
                        return try CurlHandle(share: share, bodyLimit: bodyLimit)
                    } catch {
                        created -= 1
                        throw error
                    }
                }
                lock.wait()
            }
        }
    }

    private func checkin(_ handle: CurlHandle) {
        lock.withLock {
            idle.append(handle)
            lock.signal()
        }
    }
}

/// A mutex with a condition variable, both on the heap: a `pthread_mutex_t` stored in a class
/// and passed as `&property` has no stable address in Swift, and `Synchronization.Mutex` has no
/// condition to wait on, which the pool needs while every handle is out.
private final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for `signal`; only inside `withLock`.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes one waiter; only inside `withLock`.
    func signal() { pthread_cond_signal(condition) }
}
