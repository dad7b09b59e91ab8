import CCurlShim
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// How a long-lived response ended.
public enum StreamEnd: Sendable, Equatable {
    /// `StreamStop.stop()` was called.
    case stopped
    /// No byte arrived for the stall limit.
    case stalled
    /// The consumer refused the data (a protocol error it has already reported).
    case rejected
    /// The server ended the response.
    case closed
    /// The server answered something other than 200 (the reason is the status, never the body).
    case refused(status: Int)
    /// The connection failed or broke.
    case failed(String)
}

/// State shared with the C callbacks of one stream.
private final class StreamContext {
    let handle: CurlHandle
    let stop: StreamStop
    let stallAfter: Double
    let onOpen: () -> Void
    let onBytes: (UnsafeRawBufferPointer) -> Bool
    var lastByte = Monotonic.now
    var status = 0
    var opened = false
    var stalled = false
    var rejected = false

    init(handle: CurlHandle, stop: StreamStop, stallAfter: Double, onOpen: @escaping () -> Void,
         onBytes: @escaping (UnsafeRawBufferPointer) -> Bool) {
        self.handle = handle
        self.stop = stop
        self.stallAfter = stallAfter
        self.onOpen = onOpen
        self.onBytes = onBytes
    }
}

private let streamHeaderCallback: sgcurl_data_cb = { ptr, size, nmemb, userdata in
    let n = size * nmemb
    guard let ptr, let userdata else { return n }
    let ctx = Unmanaged<StreamContext>.fromOpaque(userdata).takeUnretainedValue()
    ctx.lastByte = Monotonic.now
    let line = UnsafeRawBufferPointer(start: ptr, count: n)
    // The blank line that ends the headers: the stream is open once a 200 has come.
    if line.allSatisfy({ $0 == 0x0D || $0 == 0x0A }) {
        ctx.status = ctx.handle.long(CURLINFO_RESPONSE_CODE)
        if ctx.status == 200 && !ctx.opened {
            ctx.opened = true
            ctx.onOpen()
        }
    }
    return n
}

private let streamBodyCallback: sgcurl_data_cb = { ptr, size, nmemb, userdata in
    let n = size * nmemb
    guard let ptr, let userdata else { return n }
    let ctx = Unmanaged<StreamContext>.fromOpaque(userdata).takeUnretainedValue()
    ctx.lastByte = Monotonic.now
    // A refusal's body is not read: it is not the stream, and its text is never shown.
    guard ctx.opened else { return 0 }
    if !ctx.onBytes(UnsafeRawBufferPointer(start: ptr, count: n)) {
        ctx.rejected = true
        return 0
    }
    return n
}

private let streamProgressCallback: sgcurl_xferinfo_cb = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let ctx = Unmanaged<StreamContext>.fromOpaque(userdata).takeUnretainedValue()
    if ctx.stop.isStopped { return 1 }
    if Monotonic.now - ctx.lastByte > ctx.stallAfter {
        ctx.stalled = true
        return 1
    }
    return 0
}

extension HTTPClient {
    /// Holds one long-lived GET open on appliance `applianceIndex` (Server-Sent Events) and hands
    /// each chunk of the body to `onBytes` as it arrives, until the server ends it, it breaks, no
    /// byte comes for `stallAfter` seconds, or `stop` is set.
    ///
    /// The stream has its own curl handle, outside the pool (it would hold a pooled handle for
    /// hours), and no total timeout: it is exempt from the one-operation deadline. `onOpen` runs
    /// once the 200 has come, on this thread, and must not block (it may wake another thread to
    /// send the SignalR handshake). `onBytes` returns false to end the stream as `.rejected`.
    ///
    ///     let end = client.stream(request, applianceIndex: 0, stallAfter: 30, stop: stop,
    ///                             onOpen: { wake.signal() }, onBytes: { parser.feed($0) })
    public func stream(_ request: HTTPRequest, applianceIndex: Int, stallAfter: Double, stop: StreamStop,
                       onOpen: @escaping () -> Void, onBytes: @escaping (UnsafeRawBufferPointer) -> Bool) -> StreamEnd {
        let appliance = appliances[applianceIndex % appliances.count]
        let url = request.absoluteURL ?? (appliance.baseURL + request.path)
        do {
            let h = try CurlHandle(share: nil, bodyLimit: 0)
            let ctx = StreamContext(handle: h, stop: stop, stallAfter: stallAfter, onOpen: onOpen, onBytes: onBytes)
            try configure(h, url: url, request: request, deadline: Deadline(seconds: tls.connectTimeout))
            // No total timeout: the stream lives as long as the server keeps it; the progress
            // callback is what ends it (stop or stall).
            try h.set(CURLOPT_TIMEOUT_MS, 0)
            try h.set(CURLOPT_CONNECTTIMEOUT_MS, tls.connectTimeout.clampedMilliseconds())
            try h.set(CURLOPT_TCP_KEEPALIVE, 1)
            let me = Unmanaged.passUnretained(ctx).toOpaque()
            _ = sgcurl_setopt_data_cb(h.handle, CURLOPT_WRITEFUNCTION, streamBodyCallback)
            try h.setPointer(CURLOPT_WRITEDATA, me)
            _ = sgcurl_setopt_data_cb(h.handle, CURLOPT_HEADERFUNCTION, streamHeaderCallback)
            try h.setPointer(CURLOPT_HEADERDATA, me)
            _ = sgcurl_setopt_xferinfo_cb(h.handle, streamProgressCallback)
            try h.setPointer(CURLOPT_XFERINFODATA, me)
            try h.set(CURLOPT_NOPROGRESS, 0)
            let headers = HeaderList()
            for (name, value) in request.headers { headers.append("\(name): \(value)") }
            // Compression would hold events back in the decoder's buffer.
            headers.append("Accept-Encoding: identity")
            headers.append("Cache-Control: no-cache")
            if let auth = request.authorization { headers.append(name: "Authorization", secret: auth.secret, prefix: auth.prefix) }
            try h.setPointer(CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers.list))
            let failure = withExtendedLifetime(ctx) { h.perform() }
            try h.setNull(CURLOPT_HTTPHEADER)
            if ctx.stop.isStopped { return .stopped }
            if ctx.stalled { return .stalled }
            if ctx.rejected { return .rejected }
            let status = ctx.status != 0 ? ctx.status : h.long(CURLINFO_RESPONSE_CODE)
            if status != 0 && status != 200 { return .refused(status: status) }
            if let failure { return .failed("\(appliance): \(failure.detail)") }
            return .closed
        } catch let e as SGError {
            return .failed(e.message)
        } catch {
            return .failed("\(error)")
        }
    }
}
