import Synchronization

/// Asks a running `HTTPClient.stream` to end; safe to call from any thread. The stream notices
/// within about a second (libcurl's progress callback runs that often on an idle transfer).
/// A child stop is also stopped when its parent is (one connection of a watch that is ending).
public final class StreamStop: Sendable {
    private let flag = Atomic<Bool>(false)
    private let parent: StreamStop?
    public init(parent: StreamStop? = nil) { self.parent = parent }
    public func stop() { flag.store(true, ordering: .releasing) }
    public var isStopped: Bool { flag.load(ordering: .acquiring) || (parent?.isStopped ?? false) }
}
