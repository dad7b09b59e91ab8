import Foundation
import NIOCore
import NIOHTTP1

/// One SSE connection of the A2A event hub (negotiated, maybe open, maybe handshaken).
final class HubConnection {
    let token: String
    let keys: [String]
    var open = false
    var handshake = false
    /// Writes SSE text to the stream (set once the GET is open; runs the write on its event loop).
    var emit: ((String) -> Void)?
    var close: (() -> Void)?

    init(token: String, keys: [String]) {
        self.token = token
        self.keys = keys
    }
}

/// The A2A event hub's state and its faults (docs/sim.md, "Event hub").
struct Hub {
    var enabled = true
    var pingMs = 15_000
    /// Streams stay open but nothing more is written (no pings, no events): a stall.
    var stalled = false
    /// Events carry a numeric `Name` (SPP 2.2/2.3) and the real one in `Data.EventName`.
    var numericName = false
    var target = "NotifyEventAsync"
    var connections: [String: HubConnection] = [:]
    var negotiations = 0
    var clientPings = 0
    var eventsSent = 0

    var json: JSON {
        .object([("enabled", .bool(enabled)), ("pingMs", .int(pingMs)), ("stalled", .bool(stalled)),
                 ("numericName", .bool(numericName)), ("target", .string(target)),
                 ("negotiations", .int(negotiations)), ("clientPings", .int(clientPings)),
                 ("eventsSent", .int(eventsSent)),
                 ("open", .int(connections.values.filter(\.open).count)),
                 ("handshaken", .int(connections.values.filter(\.handshake).count))])
    }
}

/// What the HTTP handler does with a request for the hub's SSE stream.
enum HubOpen {
    case response(SimResponse)
    case stream(HubConnection)
}

extension SimApp {
    static let hubPath = ["service", "a2a", "signalr"]

    /// The A2A keys of `Authorization: A2A key1 key2 …`.
    private func hubKeys(_ req: SimRequest) -> [String] {
        (req.a2aKey ?? "").split(separator: " ").map(String.init)
    }

    private func knownKeys(_ keys: [String]) -> Bool {
        !keys.isEmpty && keys.allSatisfy { key in catalogue.apiKeys.contains { $0.value == key && $0.key != "broker" } }
    }

    /// Negotiate and the POSTs (handshake, pings) of the hub; nil when the path is not the hub's.
    func hubRoute(_ req: SimRequest) -> SimResponse? {
        guard req.segments.starts(with: Self.hubPath) else { return nil }
        guard req.clientCN != nil else { return .certDenied }
        guard a2aEnabled else { return SimApp.a2aDisabled }
        let rest = Array(req.segments.dropFirst(Self.hubPath.count))
        switch (req.method, rest) {
        case ("POST", ["negotiate"]):
            guard hub.enabled else { return .notFound }
            let keys = hubKeys(req)
            guard knownKeys(keys) else { return .a2aKeyRefused }
            hub.negotiations += 1
            // A token with '+', '/' and '=' so that a client that does not encode it fails.
            let token = Tokens.alnum(12) + "+/" + Tokens.alnum(8) + "=="
            hub.connections[token] = HubConnection(token: token, keys: keys)
            return .json(200, .object([
                ("negotiateVersion", .int(1)),
                ("connectionId", .string(Tokens.alnum(16))),
                ("connectionToken", .string(token)),
                ("availableTransports", .array([
                    .object([("transport", .string("ServerSentEvents")), ("transferFormats", .array([.string("Text")]))]),
                ])),
            ]))
        case ("POST", []):
            guard let id = req.param("id"), let c = hub.connections[id] else { return .notFound }
            guard hubKeys(req) == c.keys else { return .a2aKeyRefused }
            for record in req.body.split(separator: 0x1E, omittingEmptySubsequences: true) {
                let obj = JSON.parse(Data(record)) as? [String: Any] ?? [:]
                if obj["protocol"] as? String == "json" {
                    c.handshake = true
                    if !hub.stalled { c.emit?("data: {}\u{1E}\r\n\r\n") }
                } else if obj["type"] as? Int == 6 {
                    hub.clientPings += 1
                }
            }
            return .empty(200)
        case ("GET", []):
            return .json(400, safeguardError(70009, "The hub's stream needs Accept: text/event-stream."))
        default:
            return .notFound
        }
    }

    /// The SSE GET: nil when the request is not one (it is routed as usual).
    func hubOpen(_ req: SimRequest) -> HubOpen? {
        guard req.listener == .safeguard, req.method == "GET", req.segments == Self.hubPath,
              (req.header("Accept") ?? "").contains("text/event-stream") else { return nil }
        return locked {
            let response: SimResponse
            if req.clientCN == nil { response = .certDenied }
            else if !a2aEnabled { response = SimApp.a2aDisabled }
            else if let id = req.param("id"), let c = hub.connections[id] {
                if hubKeys(req) != c.keys { response = .a2aKeyRefused }
                else if c.open { response = .json(409, safeguardError(70011, "The connection is already open.")) }
                else {
                    c.open = true
                    log.record(req, status: 200)
                    return .stream(c)
                }
            } else {
                response = .notFound
            }
            log.record(req, status: response.status)
            return .response(response)
        }
    }

    /// Sends the change event for `secret` to every handshaken connection that holds its API key.
    func hubNotify(secret: SeededSecret) {
        guard let key = catalogue.apiKeys[secret.name] else { return }
        let name: String = switch secret.kind {
        case .password: "AssetAccountPasswordUpdated"
        case .privateKey: "AssetAccountSshKeyUpdated"
        case .apiKey: "AccountApiKeySecretUpdated"
        }
        hubSend(eventName: name, accountId: secret.accountId, accountName: secret.name, to: { $0.keys.contains(key) })
    }

    /// One invocation to the chosen connections (all handshaken ones by default).
    func hubSend(eventName: String, accountId: Int = 0, accountName: String = "", to chosen: (HubConnection) -> Bool = { _ in true }) {
        guard !hub.stalled else { return }
        let data: JSON = .object([("EventName", .string(eventName)), ("AccountId", .int(accountId)),
                                  ("AccountName", .string(accountName)), ("EventTimestamp", .string(ISO8601DateFormatter().string(from: Date())))])
        let name: JSON = hub.numericName ? .int(20000 + accountId) : .string(eventName)
        let record = JSON.object([("type", .int(1)), ("target", .string(hub.target)),
                                  ("arguments", .array([.object([("Name", name), ("Data", data)])]))]).text
        for c in hub.connections.values where c.handshake && chosen(c) {
            hub.eventsSent += 1
            c.emit?("data: \(record)\u{1E}\r\n\r\n")
        }
    }

    /// Closes every open hub stream (the `drop` fault, and `hub` off).
    func hubDropAll() {
        for c in hub.connections.values { c.close?() }
        hub.connections.removeAll()
    }

    /// `POST /admin/hub`: {enabled, pingMs, stall, numericName, target, drop, send}.
    func hubAdmin(_ body: [String: Any]) -> SimResponse {
        if let enabled = body["enabled"] as? Bool {
            hub.enabled = enabled
            if !enabled { hubDropAll() }
        }
        if let ms = body["pingMs"] as? Int, ms > 0 { hub.pingMs = ms }
        if let stall = body["stall"] as? Bool { hub.stalled = stall }
        if let numeric = body["numericName"] as? Bool { hub.numericName = numeric }
        if let target = body["target"] as? String { hub.target = target }
        if body["drop"] as? Bool == true { hubDropAll() }
        if let event = body["send"] as? String { hubSend(eventName: event) }
        return .json(200, hub.json)
    }
}

extension SimHTTPHandler {
    /// Answers the hub's SSE GET: headers, a comment line (as ASP.NET Core may send), then pings
    /// every `pingMs` and whatever the hub emits, until the client or a fault closes it.
    func startHubStream(context: ChannelHandlerContext, connection c: HubConnection, app: SimApp) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "Server", value: "sg-sim")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        var first = context.channel.allocator.buffer(capacity: 16)
        first.writeString(":\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(first))), promise: nil)

        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        let wrap = NIOLoopBound(self, eventLoop: loop)
        let emit: (String) -> Void = { text in
            loop.execute {
                let ctx = bound.value
                guard ctx.channel.isActive else { return }
                var buf = ctx.channel.allocator.buffer(capacity: text.utf8.count)
                buf.writeString(text)
                ctx.writeAndFlush(wrap.value.wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
            }
        }
        let ping = app.locked { app.hub.pingMs }
        let task = loop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(ping)), delay: .milliseconds(Int64(ping))) { _ in
            if !app.locked({ app.hub.stalled }) { emit("data: {\"type\":6}\u{1E}\r\n\r\n") }
        }
        let token = c.token
        app.locked {
            c.emit = emit
            c.close = { loop.execute { bound.value.close(promise: nil) } }
        }
        context.channel.closeFuture.whenComplete { _ in
            task.cancel()
            app.locked { app.hub.connections[token] = nil }
        }
    }
}
