import SGCore
import SGResolver
import SGSafeguard
import SGTransport
import Synchronization

/// Follows rotation of a set of references and calls `onChange` with each new value: once with
/// the current value of every reference at start, then after each change, one call at a time,
/// on the thread that called `run`.
///
/// One `A2AEventStream` per Safeguard profile carries all of that profile's API keys. The
/// streams only ask for re-checks; a re-check fetches the secret and compares its `KeyedDigest`
/// with the last one (never a kept copy of the old value). Re-checks asked for while a handler
/// runs are merged, so a burst of rotations may coalesce, but the fetch after the burst reads the
/// last value and it always reaches `onChange`. A failed fetch is reported and tried again with
/// backoff; it never ends the watch.
///
///     let watcher = try SecretWatcher(resolver: resolver, references: refs, settings: config.watch,
///                                     log: { Stderr.write("sg-watch: \($0)\n") })
///     watcher.run(stop: stop) { index, value in … }
public final class SecretWatcher: Sendable {
    public struct Watched: Sendable {
        public let reference: SecretReference
        public let spec: SecretSpec
        public let profile: String
    }

    public let watched: [Watched]
    public let settings: WatchSettings
    private let resolver: Resolver
    private let log: @Sendable (String) -> Void
    private let pending = Mutex<Set<Int>>([])
    private let wake = Wakeup()

    /// Checks every reference against the config: a token reference, an unknown secret or a
    /// secret without a Safeguard profile is a configuration error, found before anything runs.
    public init(resolver: Resolver, references: [SecretReference], settings: WatchSettings,
                log: @escaping @Sendable (String) -> Void) throws {
        guard !references.isEmpty else { throw SGError.usage("nothing to watch: give at least one sg:NAME reference") }
        var watched: [Watched] = []
        for reference in references {
            guard case .named(let name, _) = reference else {
                throw SGError.badReference("\(reference): tokens are not rotated by Safeguard; watch sg:NAME references")
            }
            let spec = try resolver.config.secret(name)
            guard spec.kind != .token else {
                throw SGError.badReference("\(reference) is a token secret; only A2A secrets rotate")
            }
            let profile = try resolver.config.profile(for: spec)
            _ = try resolver.a2a(for: profile.name)
            watched.append(Watched(reference: reference, spec: spec, profile: profile.name))
        }
        self.watched = watched
        self.settings = settings
        self.resolver = resolver
        self.log = log
    }

    /// Which watched secrets an event kind concerns.
    static func matches(_ kind: A2AEventKind, _ secret: SecretKind) -> Bool {
        switch kind {
        case .password: return secret == .password
        case .sshKey: return secret == .privateKey
        case .apiKeySecret: return secret == .apiKeySecret
        }
    }

    /// Asks for a re-check of some watched secrets (any thread).
    func recheck(_ indices: [Int]) {
        guard !indices.isEmpty else { return }
        pending.withLock { $0.formUnion(indices) }
        wake.signal()
    }

    /// Starts the event streams and runs `onChange` for every change until `stop` is set.
    /// `known` holds values the caller already has, by index: they count as seen, so only a
    /// later change calls `onChange` for them.
    public func run(stop: StreamStop, known: [Int: SecretBytes] = [:], onChange: (Int, ResolvedSecret) -> Void) throws {
        try startStreams(stop: stop)
        var digests = [[UInt8]?](repeating: nil, count: watched.count)
        for (i, value) in known where digests.indices.contains(i) { digests[i] = KeyedDigest.of(value) }
        var failures = 0
        recheck(Array(watched.indices))
        while !stop.isStopped {
            let due = pending.withLock { set -> [Int] in
                defer { set.removeAll() }
                return set.sorted()
            }
            if due.isEmpty {
                // Woken by a re-check; the time limit bounds how late a stop is seen.
                wake.wait(seconds: 2)
                continue
            }
            let results = resolver.resolveAll(due.map { watched[$0].reference })
            var failed: [Int] = []
            for (index, result) in zip(due, results) {
                switch result {
                case .success(let secret):
                    let digest = KeyedDigest.of(secret.value)
                    if digests[index] != digest {
                        digests[index] = digest
                        onChange(index, secret)
                    }
                case .failure(let error):
                    log("\(watched[index].reference): \(error.message)")
                    failed.append(index)
                }
            }
            if failed.isEmpty {
                failures = 0
            } else {
                failures += 1
                let wait = settings.backoff(attempt: failures)
                log("trying again in \(Int(wait.rounded(.up))) s")
                // Wait, unless a stop or an event comes first; the failed ones are asked again.
                let until = Monotonic.now + wait
                while !stop.isStopped, Monotonic.now < until, !wake.wait(seconds: min(2, until - Monotonic.now)) {}
                recheck(failed)
            }
        }
    }

    private func startStreams(stop: StreamStop) throws {
        var byProfile: [String: [Int]] = [:]
        for (i, w) in watched.enumerated() { byProfile[w.profile, default: []].append(i) }
        for (profile, indices) in byProfile.sorted(by: { $0.key < $1.key }) {
            let client = try resolver.a2a(for: profile)
            var keys: [SecretBytes] = []
            for i in indices {
                let spec = watched[i].spec
                guard let source = spec.apiKey else { throw SGError.config("secret \(spec.name) has no api-key") }
                let key = try source.resolve(what: "API key of secret '\(spec.name)'")
                if !keys.contains(where: { $0.constantTimeEquals(key) }) { keys.append(key) }
            }
            let kinds = indices.map { (index: $0, kind: watched[$0].spec.kind) }
            let events = A2AEventStream(
                http: client.http, apiKeys: keys, settings: settings,
                report: { [log] status in log("\(profile): \(status)") },
                recheck: { [weak self] what in
                    switch what {
                    case .all: self?.recheck(kinds.map(\.index))
                    case .kind(let kind): self?.recheck(kinds.filter { Self.matches(kind, $0.kind) }.map(\.index))
                    }
                })
            startThread { events.run(stop: stop) }
        }
    }
}
