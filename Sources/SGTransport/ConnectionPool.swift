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
    private var idle: [CurlHandle] = []
    private var created = 0
    private var mutex = pthread_mutex_t()
    private var available = pthread_cond_t()
    private let bodyLimit: Int

    init(size: Int, bodyLimit: Int = 16 << 20) throws {
        try CurlLibrary.ensureLoaded()
        self.size = max(1, size)
        self.bodyLimit = bodyLimit
        share = sgcurl_share_new()
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&available, nil)
    }

    deinit {
        idle.removeAll()
        sgcurl_share_free(share)
        pthread_cond_destroy(&available)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body` with a handle of its own; waits while all `size` handles are busy.
    func withHandle<R>(_ body: (CurlHandle) throws -> R) throws -> R {
        let handle = try checkout()
        defer { checkin(handle) }
        return try body(handle)
    }

    private func checkout() throws -> CurlHandle {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
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
            pthread_cond_wait(&available, &mutex)
        }
    }

    private func checkin(_ handle: CurlHandle) {
        pthread_mutex_lock(&mutex)
        idle.append(handle)
        pthread_cond_signal(&available)
        pthread_mutex_unlock(&mutex)
    }
}
