#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` for every index in `0..<count` on up to `width` threads and returns the results
/// in order. Used for parallel fetches over a pool of connections (I/O bound, so more threads
/// than cores is right).
public func parallelMap<T>(count: Int, width: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    if count == 0 { return [] }
    if count == 1 || width <= 1 { return (0..<count).map(body) }
    let state = ParallelState(count: count, body: body)
    let threads = Swift.min(width, count) - 1
    var ids: [pthread_t] = []
    for _ in 0..<threads {
        var tid = pthread_t()
        let box = Unmanaged.passRetained(state as AnyObject).toOpaque()
        let rc = pthread_create(&tid, nil, { arg in
            let s = Unmanaged<AnyObject>.fromOpaque(arg!).takeRetainedValue()
            (s as! any ParallelWorker).work()
            return nil
        }, box)
        if rc == 0 { ids.append(tid) } else { Unmanaged<AnyObject>.fromOpaque(box).release() }
    }
    state.work()
    for tid in ids { pthread_join(tid, nil) }
    return state.results.map { $0! }
}

private protocol ParallelWorker: AnyObject { func work() }

private final class ParallelState<T>: ParallelWorker, @unchecked Sendable {
    var next = 0
    var results: [T?]
    var lock = pthread_mutex_t()
    let body: @Sendable (Int) -> T
    let count: Int

    init(count: Int, body: @escaping @Sendable (Int) -> T) {
        self.count = count
        self.body = body
        results = Array(repeating: nil, count: count)
        pthread_mutex_init(&lock, nil)
    }

    func claim() -> Int? {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func work() {
        while let i = claim() {
            let value = body(i)
            pthread_mutex_lock(&lock); results[i] = value; pthread_mutex_unlock(&lock)
        }
    }
}
