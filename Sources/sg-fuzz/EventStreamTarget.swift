import SGSafeguard

/// The A2A event stream's two parsing layers (SSE lines and events, then SignalR records split
/// on 0x1E across events), fed the input whole and again in chunks whose sizes come from the
/// input, so a `\r\n` or a record split across reads is exercised. Both runs must see the same
/// messages: the parse may not depend on where the network cut the bytes.
func fuzzEventStream(_ raw: UnsafeRawBufferPointer) {
    func parse(chunkSizes: (Int) -> Int) -> [SignalRMessage]? {
        var sse = ServerSentEvents(limit: 1 << 16)
        var records = SignalRRecords(limit: 1 << 16)
        var messages: [SignalRMessage] = []
        var offset = 0
        var i = 0
        do {
            while offset < raw.count {
                let n = min(raw.count - offset, max(1, chunkSizes(i)))
                try sse.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)])) { data in
                    try records.feed(data) { messages.append($0) }
                }
                offset += n
                i += 1
            }
        } catch {
            return nil
        }
        return messages
    }
    let whole = parse { _ in raw.count }
    let seed = Int(raw.first ?? 7)
    let chunked = parse { i in (seed &+ i &* 31) % 17 + 1 }
    precondition(whole == chunked, "event stream: the parse depends on where the input was cut")
}
