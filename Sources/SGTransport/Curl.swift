import CCurlShim
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// A libcurl failure: the CURLcode and the most specific text libcurl gave (its error buffer).
struct CurlFailure: Error {
    let code: CURLcode
    let detail: String
    var number: Int { Int(code.rawValue) }
}

/// Loads libcurl on first use (see CCurlShim): paths that never reach here never load it.
enum CurlLibrary {
    static func ensureLoaded() throws {
        var buf = [CChar](repeating: 0, count: 256)
        if sgcurl_load(&buf, buf.count) != 0 {
            let reason = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw SGError.serviceUnavailable(reason)   // a missing system library: 69, docs/decisions.md
        }
    }
}

/// Collects one response: status line and headers (reset on each new status line, e.g. after
/// a 100 Continue), and the body in wiped memory.
final class ResponseSink {
    var headers: [(String, String)] = []
    let body: SecretBuffer
    var overflow = false
    /// Set by the test hook / caller to stop mid-transfer.
    init(limit: Int) { body = SecretBuffer(capacity: 4096, limit: limit) }

    func reset() {
        headers.removeAll(keepingCapacity: true)
        body.reset()
        overflow = false
    }
}

private let bodyCallback: sgcurl_data_cb = { ptr, size, nmemb, userdata in
    let n = size * nmemb
    guard let ptr, let userdata else { return n }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    if !sink.body.append(UnsafeRawBufferPointer(start: ptr, count: n)) {
        sink.overflow = true
        return 0   // makes libcurl abort with CURLE_WRITE_ERROR
    }
    return n
}

private let headerCallback: sgcurl_data_cb = { ptr, size, nmemb, userdata in
    let n = size * nmemb
    guard let ptr, let userdata else { return n }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        sink.headers.removeAll(keepingCapacity: true)
        return n
    }
    if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon]).trimmingASCIIWhitespace()
        let value = String(line[line.index(after: colon)...]).trimmingASCIIWhitespace()
        sink.headers.append((name, value))
    }
    return n
}

/// One libcurl easy handle. Owned by a `ConnectionPool`; never shared between threads at once.
final class CurlHandle {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    let sink: ResponseSink

    private let share: UnsafeMutableRawPointer?

    init(share: UnsafeMutableRawPointer?, bodyLimit: Int) throws {
        try CurlLibrary.ensureLoaded()
        guard let h = sgcurl_easy_init() else { throw SGError.internalError("curl_easy_init failed") }
        handle = h
        self.share = share
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        sink = ResponseSink(limit: bodyLimit)
        reset()
    }

    /// Clears every per-request option (curl_easy_reset keeps live connections and caches) and
    /// puts back what every request needs: our callbacks, the error buffer, the share handle.
    func reset() {
        let h = handle
        sgcurl_easy_reset(h)
        _ = sgcurl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer)
        let me = Unmanaged.passUnretained(sink).toOpaque()
        _ = sgcurl_setopt_data_cb(h, CURLOPT_WRITEFUNCTION, bodyCallback)
        _ = sgcurl_setopt_pointer(h, CURLOPT_WRITEDATA, me)
        _ = sgcurl_setopt_data_cb(h, CURLOPT_HEADERFUNCTION, headerCallback)
        _ = sgcurl_setopt_pointer(h, CURLOPT_HEADERDATA, me)
        if let share { _ = sgcurl_setopt_pointer(h, CURLOPT_SHARE, share) }
    }

    deinit {
        sgcurl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    func set(_ opt: CURLoption, _ value: Int) throws { try check(sgcurl_setopt_long(handle, opt, value)) }
    func set(_ opt: CURLoption, _ value: String) throws { try check(sgcurl_setopt_string(handle, opt, value)) }
    func setNull(_ opt: CURLoption) throws { try check(sgcurl_setopt_pointer(handle, opt, nil)) }
    func setPointer(_ opt: CURLoption, _ value: UnsafeMutableRawPointer?) throws { try check(sgcurl_setopt_pointer(handle, opt, value)) }
    func setBlob(_ opt: CURLoption, _ secret: SecretBytes) throws {
        try secret.withUnsafeBytes { raw in try check(sgcurl_setopt_blob(handle, opt, raw.baseAddress, raw.count)) }
    }
    func setBlob(_ opt: CURLoption, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try check(sgcurl_setopt_blob(handle, opt, raw.baseAddress, raw.count)) }
    }
    func setSecretString(_ opt: CURLoption, _ secret: SecretBytes) throws {
        try secret.withCString { try check(sgcurl_setopt_string(handle, opt, $0)) }
    }

    func long(_ info: CURLINFO) -> Int {
        var v = 0
        _ = sgcurl_getinfo_long(handle, info, &v)
        return v
    }

    func perform() -> CurlFailure? {
        errorBuffer[0] = 0
        sink.reset()
        let rc = sgcurl_easy_perform(handle)
        if rc == CURLE_OK { return nil }
        var detail = String(cString: errorBuffer)
        if detail.isEmpty { detail = String(cString: sgcurl_easy_strerror(rc)) }
        return CurlFailure(code: rc, detail: detail)
    }

    private func check(_ rc: CURLcode) throws {
        if rc != CURLE_OK {
            throw SGError.internalError("curl option failed: \(String(cString: sgcurl_easy_strerror(rc)))")
        }
    }
}

/// A curl_slist whose strings are wiped before they are freed (headers carry API keys).
final class HeaderList {
    private(set) var list: UnsafeMutablePointer<curl_slist>?

    func append(_ line: String) {
        list = sgcurl_slist_append(list, line)
    }

    func append(name: String, secret: SecretBytes, prefix: String) {
        let buf = SecretBuffer(capacity: secret.count + name.utf8.count + prefix.utf8.count + 4)
        buf.append("\(name): \(prefix)")
        buf.append(secret)
        buf.append([0])
        buf.withUnsafeBytes { raw in
            list = sgcurl_slist_append(list, raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
    }

    deinit {
        var node = list
        while let n = node {
            if let data = n.pointee.data { explicit_bzero(data, strlen(data)) }
            node = n.pointee.next
        }
        if let list { sgcurl_slist_free_all(list) }
    }
}
