import SGCore
import SGTransport
import Synchronization

/// Follows the A2A change events of one Safeguard profile (safeguard-api.md §1.7): one SignalR
/// connection (JSON protocol v1 over Server-Sent Events) carries every API key the process
/// watches, as `Authorization: A2A key1 key2 …`.
///
/// The stream says *that* something changed, not what the new value is, and SignalR replays
/// nothing missed while disconnected, so the stream only asks its owner to re-check secrets:
/// every watched secret after each (re)connect, and those of an event's kind on an event. When
/// the hub is refused (A2A events off, an old appliance) it asks for a re-check of everything
/// every `watch.poll` seconds and tries the hub again each time. Any drop (restart, reset, a
/// stall of two ping intervals, an outage of minutes) is followed by a reconnect with backoff and
/// jitter, failing over across the profile's appliances.
///
///     let events = A2AEventStream(http: client, apiKeys: keys, settings: config.watch,
///                                 report: { Stderr.write("sg-watch: \($0)\n") },
///                                 recheck: { watcher.recheck($0) })
///     events.run(stop: stop)     // returns when stop.stop() is called
public final class A2AEventStream: Sendable {
    /// What to re-check.
    public enum Recheck: Sendable, Equatable {
        case all
        case kind(A2AEventKind)
    }

    /// One line's worth of news for the log (never a secret: no key, token or value).
    public enum Status: Sendable, Equatable, CustomStringConvertible {
        case connected(appliance: String)
        case event(name: String, followed: Bool)
        case disconnected(reason: String, retryIn: Double)
        case polling(reason: String, every: Double)

        public var description: String {
            switch self {
            case .connected(let a): return "connected to the A2A event hub at \(a)"
            case .event(let name, true): return "event \(name)"
            case .event(let name, false): return "event \(name) ignored (not a credential change)"
            case .disconnected(let reason, let wait): return "event stream lost (\(reason)); reconnecting in \(formatSeconds(wait)) s"
            case .polling(let reason, let every): return "A2A events unavailable (\(reason)); polling every \(formatSeconds(every)) s"
            }
        }
    }

    public let http: HTTPClient
    private let apiKeys: [SecretBytes]
    public let settings: WatchSettings
    private let report: @Sendable (Status) -> Void
    private let recheck: @Sendable (Recheck) -> Void
    static let hubPath = "/service/a2a/signalr"

    public init(http: HTTPClient, apiKeys: [SecretBytes], settings: WatchSettings,
                report: @escaping @Sendable (Status) -> Void, recheck: @escaping @Sendable (Recheck) -> Void) {
        self.http = http
        self.apiKeys = apiKeys
        self.settings = settings
        self.report = report
        self.recheck = recheck
    }

    /// Connects, follows, reconnects and polls until `stop` is set. Returns only then.
    public func run(stop: StreamStop) {
        var preferred = 0
        var failures = 0
        // Polling is reported when it starts, not at every poll.
        var polling = false
        let count = http.appliances.count
        while !stop.isStopped {
            var lastReason = "no appliance answered"
            var refusal: String?
            var served = false
            for offset in 0..<count where !stop.isStopped {
                let index = (preferred + offset) % count
                switch connectOnce(index, stop: stop) {
                case .ended(let reason):
                    served = true
                    preferred = index
                    lastReason = reason
                case .unreachable(let reason):
                    lastReason = reason
                    continue
                case .refused(let reason):
                    refusal = reason
                    continue
                }
                break
            }
            if stop.isStopped { return }
            if served {
                // It worked until it broke: start the backoff again from the bottom.
                failures = 0
                polling = false
            }
            if let refusal, !served {
                if !polling { report(.polling(reason: refusal, every: settings.poll)) }
                polling = true
                recheck(.all)
                sleepUnlessStopped(settings.poll, stop: stop)
                continue
            }
            failures += 1
            let wait = settings.backoff(attempt: failures)
            report(.disconnected(reason: lastReason, retryIn: wait))
            sleepUnlessStopped(wait, stop: stop)
        }
    }

    enum Attempt: Equatable {
        /// Connected and followed events until the stream ended (the reason says how).
        case ended(String)
        /// Nothing usable from this appliance now: try the next, then back off.
        case unreachable(String)
        /// The appliance answered that it has no A2A hub for these keys: poll instead.
        case refused(String)
    }

    // MARK: - one connection

    private func authorized(_ request: HTTPRequest) -> HTTPRequest {
        var r = request
        let keys = SecretBuffer(capacity: apiKeys.reduce(0) { $0 + $1.count + 1 })
        for (i, key) in apiKeys.enumerated() {
            if i > 0 { keys.append(" ") }
            keys.append(key)
        }
        r.authorization = ("A2A ", keys.take())
        return r
    }

    private func request(_ method: HTTPRequest.Method, _ pathAndQuery: String, on index: Int) -> HTTPRequest {
        var r = HTTPRequest(method, pathAndQuery)
        // Pinned to this appliance: failover is this loop's job, one appliance at a time.
        r.absoluteURL = http.appliances[index].baseURL + pathAndQuery
        return authorized(r)
    }

    /// Negotiate, open the stream, handshake, follow; the keep-alive runs on its own thread.
    func connectOnce(_ index: Int, stop: StreamStop) -> Attempt {
        let appliance = http.appliances[index].description
        let token: String
        switch negotiate(on: index) {
        case .success(let t): token = t
        case .failure(let failure): return failure.attempt
        }
        let query = "?id=" + URLEncoding.percentEncode(token)
        var get = request(.get, Self.hubPath + query, on: index)
        get.headers = [("Accept", "text/event-stream")]

        let session = StreamSession(events: self, appliance: appliance)
        // Signalled when the stream opens and again when it ends: the keep-alive sleeps on it.
        let opened = Wakeup()
        let streamStop = StreamStop(parent: stop)
        let keepAliveDone = Wakeup()
        let post = request(.post, Self.hubPath + query, on: index)
        startThread { [self] in
            self.keepAlive(post, opened: opened, streamStop: streamStop, session: session)
            keepAliveDone.signal()
        }
        let end = http.stream(get, applianceIndex: index, stallAfter: settings.stallAfter, stop: streamStop,
                              onOpen: { opened.signal() }, onBytes: { session.feed($0) })
        streamStop.stop()
        opened.signal()
        keepAliveDone.wait(seconds: 60)
        switch end {
        case .stopped: return .ended("stopped")
        case .stalled: return session.handshakeDone
            ? .ended("no byte for \(formatSeconds(settings.stallAfter)) s") : .unreachable("\(appliance): stalled before the handshake")
        case .rejected: return session.handshakeDone ? .ended(session.failure ?? "protocol error")
            : .unreachable("\(appliance): \(session.failure ?? "handshake failed")")
        case .closed: return session.handshakeDone ? .ended("the appliance closed the stream") : .unreachable("\(appliance): closed before the handshake")
        case .refused(let status):
            return status == 404 || status == 401 || status == 403
                ? .refused("\(appliance) refused the event stream (HTTP \(status))") : .unreachable("\(appliance): HTTP \(status) on the event stream")
        case .failed(let reason):
            return session.handshakeDone ? .ended(reason) : .unreachable(reason)
        }
    }

    /// `POST …/negotiate?negotiateVersion=1`: the connection token, or why not.
    private func negotiate(on index: Int) -> Result<String, AttemptFailure> {
        let appliance = http.appliances[index].description
        let response: HTTPResponse
        do {
            response = try http.send(request(.post, Self.hubPath + "/negotiate?negotiateVersion=1", on: index),
                                     deadline: Deadline(seconds: http.tls.totalTimeout))
        } catch let e as SGError {
            return .failure(AttemptFailure(.unreachable(e.message)))
        } catch {
            return .failure(AttemptFailure(.unreachable("\(error)")))
        }
        switch response.status {
        case 200: break
        case 400, 401, 403, 404, 405, 501, 503:
            // No hub here, A2A off, or events not allowed for these keys: the secrets may still be
            // readable, so polling takes over. (A bad certificate fails the re-checks loudly.)
            return .failure(AttemptFailure(.refused("\(appliance) refused negotiate (HTTP \(response.status))")))
        default:
            return .failure(AttemptFailure(.unreachable("\(appliance): negotiate answered HTTP \(response.status)")))
        }
        guard let json = try? JSONValue.parse(response.body) else {
            return .failure(AttemptFailure(.unreachable("\(appliance): negotiate did not answer JSON")))
        }
        if let error = json["error"]?.text {
            return .failure(AttemptFailure(.refused("\(appliance): negotiate refused: \(SignalRMessage.clip(error))")))
        }
        if let transports = json["availableTransports"]?.arrayValue,
           !transports.contains(where: { $0["transport"]?.text?.lowercased() == "serversentevents" }) {
            return .failure(AttemptFailure(.refused("\(appliance) offers no Server-Sent Events transport")))
        }
        // negotiateVersion=1 looks the connection up by connectionToken; older hubs by connectionId.
        guard let token = json["connectionToken"]?.text ?? json["connectionId"]?.text, !token.isEmpty,
              token.utf8.count <= 1024 else {
            return .failure(AttemptFailure(.unreachable("\(appliance): negotiate gave no connection token")))
        }
        return .success(token)
    }

    struct AttemptFailure: Error { let attempt: Attempt; init(_ a: Attempt) { attempt = a } }

    /// Sends the handshake once the stream is open, then a ping every `ping-interval` seconds,
    /// over the pool's reused connection (no new TLS handshake per ping).
    private func keepAlive(_ post: HTTPRequest, opened: Wakeup, streamStop: StreamStop, session: StreamSession) {
        while !opened.wait(seconds: 60) {
            if streamStop.isStopped { return }
        }
        if streamStop.isStopped { return }
        var handshake = post
        handshake.setJSONBody(SecretBytes(bytes: Array("{\"protocol\":\"json\",\"version\":1}".utf8) + [SignalRRecords.separator]))
        if !postRecord(handshake) {
            session.fail("the handshake was refused")
            streamStop.stop()
            return
        }
        var ping = post
        ping.setJSONBody(SecretBytes(bytes: Array("{\"type\":6}".utf8) + [SignalRRecords.separator]))
        var next = Monotonic.now + settings.pingInterval
        // Sleeps until the next ping or the end of the stream: no polling while idle.
        while !streamStop.isStopped {
            if Monotonic.now >= next {
                _ = postRecord(ping)   // a lost ping shows as a stall, which reconnects
                next = Monotonic.now + settings.pingInterval
            }
            _ = opened.wait(seconds: max(0.01, next - Monotonic.now))
        }
    }

    private func postRecord(_ request: HTTPRequest) -> Bool {
        guard let response = try? http.send(request, deadline: Deadline(seconds: http.tls.totalTimeout)) else { return false }
        return response.isSuccess
    }

    fileprivate func deliver(_ status: Status) { report(status) }
    fileprivate func ask(_ what: Recheck) { recheck(what) }
}

/// The parsing state of one stream and what it has seen; touched only by the stream's thread,
/// except `failure`, which the keep-alive thread may set.
private final class StreamSession: @unchecked Sendable {
    let events: A2AEventStream
    let appliance: String
    var sse = ServerSentEvents()
    var records = SignalRRecords()
    private let state = Mutex<(handshake: Bool, failure: String?)>((false, nil))

    init(events: A2AEventStream, appliance: String) {
        self.events = events
        self.appliance = appliance
    }

    var handshakeDone: Bool { state.withLock { $0.handshake } }
    var failure: String? { state.withLock { $0.failure } }
    func fail(_ reason: String) { state.withLock { if $0.failure == nil { $0.failure = reason } } }

    /// One chunk of the stream; false ends it.
    func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            try sse.feed(bytes) { data in
                try records.feed(data) { try self.handle($0) }
            }
            return true
        } catch let e as SGError {
            fail(e.message)
            return false
        } catch {
            fail("\(error)")
            return false
        }
    }

    private func handle(_ message: SignalRMessage) throws {
        switch message {
        case .handshake(let error):
            if let error { throw SGError.unexpectedResponse("the hub refused the handshake: \(error)") }
            guard !handshakeDone else { return }
            state.withLock { $0.handshake = true }
            events.deliver(.connected(appliance: appliance))
            // SignalR replays nothing: whatever changed while sg was away is found by looking.
            events.ask(.all)
        case .event(let name, let kind):
            let shown = name ?? "(unnamed)"
            events.deliver(.event(name: shown, followed: kind != nil))
            if let kind { events.ask(.kind(kind)) }
        case .close(let error):
            throw SGError.unexpectedResponse("the hub closed the connection" + (error.map { ": \($0)" } ?? ""))
        case .ping, .otherInvocation, .other:
            break
        }
    }
}

func sleepUnlessStopped(_ seconds: Double, stop: StreamStop) {
    let end = Monotonic.now + seconds
    let wake = Wakeup()
    while !stop.isStopped, Monotonic.now < end {
        wake.wait(seconds: min(1, end - Monotonic.now))
    }
}

/// Seconds for a log line, to one decimal.
func formatSeconds(_ d: Double) -> String {
    guard d.isFinite else { return "?" }
    let r = (d * 10).rounded() / 10
    return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r)
}
