import SGCore

/// The SignalR layer of the A2A event stream (ASP.NET Core SignalR, JSON protocol v1): records end
/// with 0x1E, and a record may span several SSE events as an event may hold several records, so
/// the data of successive events is one byte stream split on 0x1E. A record longer than `limit`
/// is refused.
///
///     var records = SignalRRecords()
///     try records.feed(eventData) { message in … }
public struct SignalRRecords: Sendable {
    public static let separator: UInt8 = 0x1E
    public let limit: Int
    private var pending: [UInt8] = []

    public init(limit: Int = 1 << 20) { self.limit = limit }

    public mutating func feed(_ bytes: [UInt8], onMessage: (SignalRMessage) throws -> Void) throws {
        for b in bytes {
            if b == Self.separator {
                let record = pending
                pending.removeAll(keepingCapacity: true)
                try onMessage(SignalRMessage(record: record))
            } else {
                guard pending.count < limit else {
                    throw SGError.unexpectedResponse("A2A event stream: a SignalR record longer than \(limit) bytes")
                }
                pending.append(b)
            }
        }
    }
}

/// The kinds of A2A change event, one per kind of secret (safeguard-api.md §1.7).
public enum A2AEventKind: String, Sendable, CaseIterable {
    case password = "AssetAccountPasswordUpdated"
    case sshKey = "AssetAccountSshKeyUpdated"
    case apiKeySecret = "AccountApiKeySecretUpdated"

    /// The kind an event name means, matched without regard to case (as every SDK does).
    public init?(eventName: String) {
        let lower = eventName.lowercased()
        guard let kind = Self.allCases.first(where: { $0.rawValue.lowercased() == lower }) else { return nil }
        self = kind
    }
}

/// One SignalR record of the A2A hub, reduced to what sg acts on.
public enum SignalRMessage: Sendable, Equatable {
    /// The handshake reply: `{}` (nil) or `{"error": "…"}`.
    case handshake(error: String?)
    /// An invocation of `NotifyEventAsync` or `ReceiveMessage`: the event's name (nil when the
    /// argument carries none sg can read) and its kind (nil for names sg does not follow).
    case event(name: String?, kind: A2AEventKind?)
    /// An invocation of another target.
    case otherInvocation(target: String)
    case ping
    /// The server closes the connection (type 7), with its error text if any.
    case close(error: String?)
    /// A record of a type sg does not use (2 to 5 are stream and completion messages).
    case other(type: Int)

    /// Longest event or error text kept (it reaches the log, escaped).
    static let textLimit = 200

    /// Decodes one record (without its 0x1E). Throws on anything that is not a JSON object.
    public init(record: [UInt8]) throws {
        let json: JSONValue
        do { json = try JSONValue.parse(SecretBytes(bytes: record), maxDepth: 16) }
        catch { throw SGError.unexpectedResponse("A2A event stream: a SignalR record is not JSON") }
        guard json.objectMembers != nil else {
            throw SGError.unexpectedResponse("A2A event stream: a SignalR record is not a JSON object")
        }
        guard let typeValue = json["type"] else {
            // Only the handshake reply has no type.
            self = .handshake(error: json["error"]?.text.map(Self.clip))
            return
        }
        guard let type = typeValue.intValue else {
            throw SGError.unexpectedResponse("A2A event stream: a SignalR record's type is not a number")
        }
        switch type {
        case 1:
            let target = json["target"]?.text ?? ""
            let lower = target.lowercased()
            guard lower == "notifyeventasync" || lower == "receivemessage" else {
                self = .otherInvocation(target: Self.clip(target))
                return
            }
            let name = (json["arguments"]?.arrayValue?.first).flatMap { Self.eventName($0) }
            self = .event(name: name.map(Self.clip), kind: name.flatMap(A2AEventKind.init(eventName:)))
        case 6:
            self = .ping
        case 7:
            self = .close(error: json["error"]?.text.map(Self.clip))
        default:
            self = .other(type: type)
        }
    }

    /// The event name of an invocation's argument: an object with `Name` and `Data`, the real name
    /// in `Data.EventName` when `Name` is numeric (SPP 2.2/2.3); PySafeguard also meets the
    /// argument as a JSON string, or wrapped as `{"Message": "<json>"}`.
    static func eventName(_ argument: JSONValue, depth: Int = 0) -> String? {
        guard depth < 3 else { return nil }
        if case .string(let s) = argument {
            guard let inner = try? JSONValue.parse(s, maxDepth: 16) else { return nil }
            return eventName(inner, depth: depth + 1)
        }
        if let name = argument["Name"]?.text, !name.isEmpty, !Self.isNumeric(name) { return name }
        if let name = argument["Data"]?["EventName"]?.text, !name.isEmpty { return name }
        if argument["Name"] == nil, let message = argument["Message"] { return eventName(message, depth: depth + 1) }
        return nil
    }

    /// A numeric `Name` arrives as a JSON number or as a string of digits.
    static func isNumeric(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") || $0 == UInt8(ascii: "-") }
    }

    /// Text from the network as it may reach a terminal: at most `textLimit` bytes, control
    /// characters (checked on bytes: "\r\n" is one Character) written as `\xNN`.
    static func clip(_ s: String) -> String {
        var out: [UInt8] = []
        for b in s.utf8.prefix(textLimit) {
            if b < 0x20 || b == 0x7F {
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
