import SGCore

/// The Server-Sent Events layer of the A2A event stream: bytes in, each event's data out.
///
/// As the SSE specification says: lines end with `\r\n`, `\n` or `\r` (a `\r\n` may be split
/// across two chunks); `data:` lines of one event are joined with `\n`; a line starting with `:` is
/// a comment (ASP.NET Core may open the stream with one); a blank line ends the event; other
/// fields (`event`, `id`, `retry`) are not used by SignalR and are skipped. A line or an event
/// longer than `limit` bytes is refused, so a hostile server cannot make sg's memory grow.
///
///     var sse = ServerSentEvents()
///     try sse.feed(chunk) { data in try records.feed(data) }
public struct ServerSentEvents: Sendable {
    public let limit: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var dataLines = 0
    /// The last chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    private var afterCR = false

    public init(limit: Int = 1 << 20) { self.limit = limit }

    /// Parses one chunk and calls `onEvent` with the data of every event it completes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, onEvent: ([UInt8]) throws -> Void) throws {
        for b in bytes {
            if afterCR {
                afterCR = false
                if b == 0x0A { continue }
            }
            switch b {
            case 0x0D:
                afterCR = true
                try endLine(onEvent)
            case 0x0A:
                try endLine(onEvent)
            default:
                guard line.count < limit else {
                    throw SGError.unexpectedResponse("A2A event stream: a line longer than \(limit) bytes")
                }
                line.append(b)
            }
        }
    }

    private mutating func endLine(_ onEvent: ([UInt8]) throws -> Void) throws {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            // A blank line dispatches the event; without data lines there is nothing to dispatch.
            if dataLines > 0 { try onEvent(data) }
            data.removeAll(keepingCapacity: true)
            dataLines = 0
            return
        }
        if line[0] == UInt8(ascii: ":") { return }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        guard line[..<colon].elementsEqual("data".utf8) else { return }
        var start = min(colon + 1, line.count)
        if start < line.count && line[start] == 0x20 { start += 1 }
        guard data.count + (line.count - start) + 1 <= limit else {
            throw SGError.unexpectedResponse("A2A event stream: an event larger than \(limit) bytes")
        }
        if dataLines > 0 { data.append(0x0A) }
        data.append(contentsOf: line[start...])
        dataLines += 1
    }
}
