import Synchronization
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

/// The work list shared by the threads: each index is claimed once under the mutex, and its
/// result slot is written only by the thread that claimed it and read only after every thread
/// has been joined, so the slots themselves need no lock.
private final class ParallelState<T>: ParallelWorker, @unchecked Sendable {
    private let next = Mutex(0)
    private let slots: UnsafeMutableBufferPointer<T?>
    let body: @Sendable (Int) -> T
    let count: Int

    init(count: Int, body: @escaping @Sendable (Int) -> T) {
        self.count = count
        self.body = body
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        _ = slots.deinitialize()
        slots.deallocate()
    }

    /// The results in order; only after every worker has finished.
    var results: [T?] { Array(slots) }

    func claim() -> Int? {
        next.withLock { next in
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    func work() {
        while let i = claim() { slots[i] = body(i) }
    }
}
