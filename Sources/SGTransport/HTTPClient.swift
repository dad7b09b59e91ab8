import CCurlShim
import SGCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The HTTPS client every appliance call goes through (libcurl underneath).
///
/// TLS verification is on unless the profile says `insecure: true`; HTTP/1.1 always; the
/// profile's client certificate is decrypted once and kept in memory; requests are retried and
/// failed over as docs/decisions.md and the README say, under one deadline per operation; a small pool of
/// handles shares connections and TLS sessions.
///
///     let client = try HTTPClient(appliances: profile.appliances, tls: profile.tls)
///     let response = try client.send(HTTPRequest(.get, "/service/appliance/v4/SystemTime"))
public final class HTTPClient: @unchecked Sendable {
    public let appliances: [Appliance]
    public let tls: TLSSettings
    private let identity: ClientCertificate?
    private let pool: ConnectionPool
    /// The appliance that answered last: where the next request starts.
    private let preferred = Mutex(0)
    /// Retry policy knobs (tests shorten them).
    public var retry = RetryPolicy()

    public init(appliances: [Appliance], tls: TLSSettings, profileName: String = "") throws {
        guard !appliances.isEmpty else { throw SGError.config("profile \(profileName) has no appliances") }
        self.appliances = appliances
        self.tls = tls
        if let ca = tls.caFile { try FileSafety.check(ca, holdsSecrets: false) }
        identity = try tls.client.map { try ClientCertificate.load($0) }
        pool = try ConnectionPool(size: tls.poolSize)
        if tls.insecure {
            Stderr.write("sg: warning: TLS verification is OFF for profile \(profileName) (insecure: true); use ca: or pin: instead\n")
        }
    }

    /// A client for a Safeguard profile.
    public convenience init(profile: SafeguardProfile) throws {
        try self.init(appliances: profile.appliances, tls: profile.tls, profileName: profile.name)
    }

    public var hasClientCertificate: Bool { identity != nil }

    /// Sends one request with retries and failover, under `deadline` (default: the profile's total timeout).
    public func send(_ request: HTTPRequest, deadline: Deadline? = nil) throws -> HTTPResponse {
        let deadline = deadline ?? Deadline(seconds: tls.totalTimeout)
        var attempt = 0
        var lastFailure: SGError = .unreachable("no appliance tried")
        var certificateSuspects = 0
        while true {
            attempt += 1
            var retryAfter: Double?
            var lastResponse: HTTPResponse?
            var order = applianceOrder(for: request)[...]
            roundLoop: while let index = order.popFirst() {
                if deadline.hasPassed { throw SGError.timeout("\(request.method.rawValue) \(request.pathForLog) took longer than \(fmt(tls.totalTimeout)) s") }
                switch perform(request, on: index, deadline: deadline) {
                case .response(let response):
                    if let wait = retry.retryDelay(for: response, request: request, attempt: attempt) {
                        retryAfter = wait
                        lastResponse = response
                        lastFailure = .retriesExhausted("\(request.method.rawValue) \(request.pathForLog) answered \(response.status)")
                        break roundLoop
                    }
                    setPreferred(index)
                    return response
                case .notSent(let reason):
                    lastFailure = .unreachable(reason)
                    continue
                case .certificateSuspect(let reason):
                    // The project's rule: retried once, for any method (a server that rejected the
                    // certificate has not acted on the request), at once, on the next appliance.
                    certificateSuspects += 1
                    if certificateSuspects >= 2 { throw SGError.denied(certificateProbablyRejected(reason)) }
                    lastFailure = .unreachable(reason)
                    if order.isEmpty { order.append(request.absoluteURL == nil ? (index + 1) % appliances.count : index) }
                    continue
                case .maybeSent(let reason):
                    lastFailure = .unreachable(reason)
                    if !request.isIdempotent {
                        throw SGError.unexpectedResponse("\(reason) (not retried: \(request.method.rawValue) may have been applied)")
                    }
                    break roundLoop
                case .fatal(let error):
                    throw error
                }
            }
            guard attempt < retry.maxAttempts else {
                if let last = lastResponse, !retry.mustFailAfterRetries(last) { return last }
                throw lastFailure
            }
            let wait = retryAfter ?? retry.backoff(attempt: attempt)
            if wait >= deadline.remaining {
                if let last = lastResponse {
                    if !retry.mustFailAfterRetries(last) && retryAfter == nil { return last }
                    throw SGError.retriesExhausted("\(request.method.rawValue) \(request.pathForLog): appliance asked to wait \(fmt(wait)) s, more than the \(fmt(max(0, deadline.remaining))) s left")
                }
                throw lastFailure
            }
            Log.logger.debug("retrying \(request.method.rawValue) \(request.pathForLog) in \(fmt(wait)) s (attempt \(attempt + 1))")
            sleepSeconds(wait)
        }
    }

    /// Sends several requests in parallel over the pool (at most `tls.poolSize` at once).
    public func sendAll(_ requests: [HTTPRequest], deadline: Deadline? = nil) -> [Result<HTTPResponse, SGError>] {
        let deadline = deadline ?? Deadline(seconds: tls.totalTimeout)
        return parallelMap(count: requests.count, width: pool.size) { i in
            do { return .success(try self.send(requests[i], deadline: deadline)) }
            catch let e as SGError { return .failure(e) }
            catch { return .failure(.internalError("\(error)")) }
        }
    }

    // MARK: - one attempt

    enum Outcome {
        case response(HTTPResponse)
        /// Nothing reached the server: safe to fail over or retry any method.
        case notSent(String)
        /// The request may have reached the server: only idempotent requests are retried.
        case maybeSent(String)
        /// A new connection that presented the client certificate failed to send or receive before
        /// any byte of an answer: under TLS 1.3 that is how a rejected certificate often looks
        /// (the server's alert races its close), so it is tried once more before being called so.
        case certificateSuspect(String)
        case fatal(SGError)
    }

    private func applianceOrder(for request: HTTPRequest) -> [Int] {
        if request.absoluteURL != nil { return [0] }
        let first = preferred.withLock { $0 }
        return (0..<appliances.count).map { (first + $0) % appliances.count }
    }

    private func setPreferred(_ index: Int) {
        preferred.withLock { $0 = index }
    }

    private func perform(_ request: HTTPRequest, on index: Int, deadline: Deadline) -> Outcome {
        let appliance = appliances[index]
        let url = request.absoluteURL ?? (appliance.baseURL + request.path)
        let started = Monotonic.now
        do {
            return try pool.withHandle { h -> Outcome in
                h.reset()
                try configure(h, url: url, request: request, deadline: deadline)
                let headers = HeaderList()
                for (name, value) in request.headers { headers.append("\(name): \(value)") }
                headers.append("Expect:")
                if let auth = request.authorization { headers.append(name: "Authorization", secret: auth.secret, prefix: auth.prefix) }
                for (name, value) in request.secretHeaders { headers.append(name: name, secret: value, prefix: "") }
                try h.setPointer(CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers.list))
                let failure: CurlFailure? = try withBody(request.body) { ptr, len in
                    if let ptr {
                        try h.setPointer(CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: ptr))
                        try h.set(CURLOPT_POSTFIELDSIZE, len)
                    }
                    return h.perform()
                }
                // Do not leave pointers into memory that is about to be freed.
                try h.setNull(CURLOPT_HTTPHEADER)
                try h.setNull(CURLOPT_POSTFIELDS)
                let ms = (Monotonic.now - started).clampedMilliseconds()
                if let failure {
                    Log.logger.debug("\(request.method.rawValue) \(request.pathForLog) at \(appliance) failed after \(ms) ms: curl \(failure.number)")
                    return classify(failure, handle: h, appliance: appliance, request: request, deadline: deadline)
                }
                let status = h.long(CURLINFO_RESPONSE_CODE)
                let reused = h.long(CURLINFO_NUM_CONNECTS) == 0
                Log.logger.debug("\(request.method.rawValue) \(request.pathForLog) -> \(status) (\(ms) ms, \(appliance), \(reused ? "reused connection" : "new connection"))")
                return .response(HTTPResponse(status: status, headers: h.sink.headers, body: h.sink.body.take(),
                                              appliance: appliance.description, reusedConnection: reused))
            }
        } catch let e as SGError {
            return .fatal(e)
        } catch {
            return .fatal(.internalError("\(error)"))
        }
    }

    private func withBody<R>(_ body: SecretBytes?, _ fn: (UnsafePointer<UInt8>?, Int) throws -> R) rethrows -> R {
        guard let body else { return try fn(nil, 0) }
        return try body.withUnsafeBytes { raw in
            try fn(raw.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1), raw.count)
        }
    }

    /// Options every request needs (TLS, identity, method); HTTPStream reuses it for the event stream.
    func configure(_ h: CurlHandle, url: String, request: HTTPRequest, deadline: Deadline) throws {
        try h.set(CURLOPT_URL, url)
        try h.set(CURLOPT_NOSIGNAL, 1)
        try h.set(CURLOPT_PROTOCOLS_STR, "https")
        try h.set(CURLOPT_FOLLOWLOCATION, 0)
        try h.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        try h.set(CURLOPT_TCP_NODELAY, 1)
        try h.set(CURLOPT_USERAGENT, "sg/1")
        let remainingMs = deadline.remaining.clampedMilliseconds()
        try h.set(CURLOPT_TIMEOUT_MS, remainingMs)
        try h.set(CURLOPT_CONNECTTIMEOUT_MS, min(tls.connectTimeout.clampedMilliseconds(), remainingMs))
        var sslVersion = Int(CURL_SSLVERSION_TLSv1_2)
        if tls.tlsMax == .v1_2 { sslVersion |= Int(CURL_SSLVERSION_MAX_TLSv1_2) }
        try h.set(CURLOPT_SSLVERSION, sslVersion)
        if let ca = tls.caFile { try h.set(CURLOPT_CAINFO, ca) }
        if tls.insecure {
            try h.set(CURLOPT_SSL_VERIFYPEER, 0)
            try h.set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if !tls.pins.isEmpty { try h.set(CURLOPT_PINNEDPUBLICKEY, tls.pins.joined(separator: ";")) }
        if let identity {
            try h.setBlob(CURLOPT_SSLCERT_BLOB, identity.certificateChainPEM)
            try h.set(CURLOPT_SSLCERTTYPE, "PEM")
            try h.setBlob(CURLOPT_SSLKEY_BLOB, identity.privateKeyPEM)
            try h.set(CURLOPT_SSLKEYTYPE, "PEM")
            // The key is already decrypted; an empty passphrase keeps OpenSSL from ever prompting.
            try h.set(CURLOPT_KEYPASSWD, "")
        }
        switch request.method {
        case .get: try h.set(CURLOPT_HTTPGET, 1)
        case .post:
            try h.set(CURLOPT_POST, 1)
            if request.body == nil { try h.set(CURLOPT_POSTFIELDSIZE, 0); try h.set(CURLOPT_POSTFIELDS, "") }
        case .put, .delete:
            try h.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            if request.body == nil && request.method == .put { try h.set(CURLOPT_POSTFIELDSIZE, 0); try h.set(CURLOPT_POSTFIELDS, "") }
        }
    }

    private func classify(_ f: CurlFailure, handle: CurlHandle, appliance: Appliance, request: HTTPRequest, deadline: Deadline) -> Outcome {
        let detail = f.detail
        let lower = detail.lowercased()
        let certRejected = ["alert unknown ca", "certificate required", "alert bad certificate", "certificate unknown",
                            "alert handshake failure", "alert access denied", "decrypt error"].contains { lower.contains($0) }
        switch f.code {
        case CURLE_COULDNT_CONNECT where handle.long(CURLINFO_OS_ERRNO) == Int(ECONNREFUSED):
            return .notSent("nothing listens on \(appliance.host):\(appliance.port) (connection refused): check the port in 'appliances:' (the appliance's API is on 443)")
        case CURLE_COULDNT_RESOLVE_HOST:
            return .notSent("\(appliance): no such host name (DNS): check the name in 'appliances:'")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY:
            return .notSent("\(appliance): \(detail)")
        case CURLE_OPERATION_TIMEDOUT:
            if deadline.hasPassed || deadline.remaining < 0.05 {
                return .fatal(.timeout("\(request.method.rawValue) \(request.pathForLog) at \(appliance) took longer than \(fmt(tls.totalTimeout)) s"))
            }
            return .notSent("\(appliance): connect timed out after \(fmt(tls.connectTimeout)) s")
        case CURLE_PEER_FAILED_VERIFICATION where Self.isNameMismatch(lower):
            return .fatal(.untrustedServer(nameMismatch(appliance, deadline: deadline)))
        case CURLE_PEER_FAILED_VERIFICATION:
            return .fatal(.untrustedServer("\(appliance): \(detail); set 'ca:' in the profile to the appliance's CA bundle"))
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .fatal(.untrustedServer("\(appliance): its public key matches none of the profile's pins"))
        case CURLE_SSL_CACERT_BADFILE:
            return .fatal(.config(badCAFile(detail)))
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER:
            return .fatal(.config("\(appliance): \(detail)"))
        case CURLE_SSL_CONNECT_ERROR, CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            if certRejected && handle.long(CURLINFO_RESPONSE_CODE) == 0 {
                let what = identity == nil ? "no client certificate was presented" : "the client certificate (\(identity!.subject)) was rejected"
                return .fatal(.denied("\(appliance): \(what): \(detail)"))
            }
            if f.code == CURLE_SSL_CONNECT_ERROR, Self.isNotTLS(lower) {
                return .fatal(.config("\(appliance.host):\(appliance.port) does not speak TLS (\(detail)): it looks like a plain-HTTP port; use the appliance's HTTPS port (443) in 'appliances:'"))
            }
            if f.code == CURLE_SSL_CONNECT_ERROR, Self.isProtocolVersionMismatch(lower) {
                return .fatal(.config(protocolVersionMismatch(appliance, detail: detail, deadline: deadline)))
            }
            if f.code == CURLE_SSL_CONNECT_ERROR { return .notSent("\(appliance): \(detail)") }
            if nothingReceivedOnNewConnection(handle) { return .certificateSuspect("\(appliance): \(detail)") }
            return .maybeSent("\(appliance): \(detail)")
        case CURLE_WRITE_ERROR where handle.sink.overflow:
            return .fatal(.unexpectedResponse("\(appliance): response body larger than \(handle.sink.body.limit) bytes"))
        case CURLE_GOT_NOTHING:
            if nothingReceivedOnNewConnection(handle) { return .certificateSuspect("\(appliance): \(detail)") }
            return .maybeSent("\(appliance): \(detail)")
        case CURLE_PARTIAL_FILE:
            return .maybeSent("\(appliance): \(detail)")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .fatal(.config("bad URL for \(appliance): \(detail)"))
        default:
            return .maybeSent("\(appliance): \(detail)")
        }
    }
}

extension HTTPClient {
    /// A failure that may be a rejected client certificate (see `Outcome.certificateSuspect`): a
    /// certificate was presented, on a connection made for this request (a reused one had already
    /// been accepted), and not one byte of an answer came back.
    fileprivate func nothingReceivedOnNewConnection(_ handle: CurlHandle) -> Bool {
        identity != nil && handle.long(CURLINFO_NUM_CONNECTS) > 0 && handle.long(CURLINFO_RESPONSE_CODE) == 0
            && handle.sink.headers.isEmpty && handle.sink.body.count == 0
    }

    /// OpenSSL's words for an answer that is not TLS at all (an HTTP server's "HTTP/1.1 400"
    /// read as a TLS record header).
    fileprivate static func isNotTLS(_ lowercasedDetail: String) -> Bool {
        ["wrong version number", "packet length too long", "http request"].contains { lowercasedDetail.contains($0) }
    }

    /// libcurl's and OpenSSL's words for a certificate that verifies but names another host.
    fileprivate static func isNameMismatch(_ lowercasedDetail: String) -> Bool {
        ["subject name", "hostname mismatch", "does not match target host"].contains { lowercasedDetail.contains($0) }
    }

    /// A certificate for other names: the CA is right, so say which names it is valid for.
    fileprivate func nameMismatch(_ appliance: Appliance, deadline: Deadline) -> String {
        let names = CertificateNamesProbe.names(of: appliance, seconds: min(2, tls.connectTimeout, max(0.2, deadline.remaining)))
        guard !names.isEmpty else {
            return "\(appliance): its certificate does not name \(appliance.host); use the name the certificate was issued for in 'appliances:'"
        }
        return "\(appliance): the certificate is valid for \(names.joined(separator: ", ")), not \(appliance.host); use one of those names in 'appliances:'"
    }

    /// A CA file OpenSSL could not use: say which profile and config line name it, and why.
    fileprivate func badCAFile(_ detail: String) -> String {
        guard let ca = tls.caFile else { return detail }
        let at = tls.caOrigin.isEmpty ? "" : " (\(tls.caOrigin))"
        guard let bytes = try? FileSafety.readBytes(ca) else { return "ca \(ca)\(at) cannot be read" }
        if !PEMArmor.contains(bytes, label: "CERTIFICATE") {
            return "ca \(ca)\(at) holds no PEM certificate (-----BEGIN CERTIFICATE-----); ask for the CA in PEM, or convert a DER file: openssl x509 -inform der -in FILE -out ca.pem"
        }
        return "ca \(ca)\(at) is not a usable CA bundle: \(detail)"
    }

    /// OpenSSL's words for "no TLS version in common": the server's alert, or a version it chose
    /// that this side does not allow.
    fileprivate static func isProtocolVersionMismatch(_ lowercasedDetail: String) -> Bool {
        ["alert protocol version", "unsupported protocol", "no protocols available"].contains { lowercasedDetail.contains($0) }
    }

    /// A version mismatch is configuration (78), not an outage: says what the server offers (asked
    /// with `TLSVersionProbe`) and what to change.
    fileprivate func protocolVersionMismatch(_ appliance: Appliance, detail: String, deadline: Deadline) -> String {
        let capped = tls.tlsMax == .v1_2
        let candidates = (capped ? [TLSVersionProbe.tls1_3] : []) + [TLSVersionProbe.tls1_1, TLSVersionProbe.tls1_0]
        let seconds = min(2, tls.connectTimeout, max(0.2, deadline.remaining / Double(candidates.count)))
        let offered = TLSVersionProbe.accepted(by: appliance, of: candidates, seconds: seconds)
        let ours = capped ? "TLS 1.2 (tls-max: \"1.2\")" : "TLS 1.2 and 1.3"
        let theirs = offered.isEmpty ? "none that sg can use" : "TLS " + offered.joined(separator: " and ")
        var message = "\(appliance): no TLS version in common: the server offers \(theirs); sg speaks \(ours) (\(detail))"
        if offered.contains("1.3") {
            message += "; remove tls-max from the profile"
        } else if !offered.isEmpty {
            message += "; the appliance must be set to allow TLS 1.2 or newer"
        }
        return message
    }

    /// The message when the same failure came twice: exit 77, with the `tls-max` hint where TLS 1.3
    /// was possible (under TLS 1.2 the certificate is judged inside the handshake, where a rejection
    /// is reported as such).
    fileprivate func certificateProbablyRejected(_ reason: String) -> String {
        let subject = identity.map { " (\($0.subject))" } ?? ""
        var message = "the client certificate\(subject) was probably rejected: the connection closed before any answer, twice (\(reason))"
        if tls.tlsMax != .v1_2 {
            message += "; under TLS 1.3 the appliance judges it after the handshake: set tls-max: \"1.2\" in the profile to see its answer"
        }
        return message
    }
}

/// When to try again (the project's retry rule): connection failures before sending, 429, and 503
/// with Retry-After for any method; other 502/503/504 only for GET; exponential backoff with jitter.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 4
    public var baseDelay = 0.25
    public var maxDelay = 4.0

    public init() {}

    /// Seconds to wait before retrying this response, or nil when it is final.
    func retryDelay(for response: HTTPResponse, request: HTTPRequest, attempt: Int) -> Double? {
        let retryAfter = Self.retryAfter(response)
        switch response.status {
        case 429:
            return retryAfter ?? backoff(attempt: attempt)
        case 503 where retryAfter != nil:
            return retryAfter
        case 502, 503, 504:
            return request.isIdempotent ? backoff(attempt: attempt) : nil
        default:
            return nil
        }
    }

    /// 429 and 503-with-Retry-After that never cleared are a "try later" failure; a plain 5xx is
    /// handed back for the caller to explain.
    func mustFailAfterRetries(_ response: HTTPResponse) -> Bool {
        response.status == 429 || (response.status == 503 && Self.retryAfter(response) != nil)
    }

    /// The response's usable `Retry-After` in seconds (see `HeaderNumber.retryAfter`); an
    /// unusable one counts as absent.
    static func retryAfter(_ response: HTTPResponse) -> Double? {
        response.header("Retry-After").flatMap { HeaderNumber.retryAfter($0, now: WallClock.now) }
    }

    func backoff(attempt: Int) -> Double {
        let exp = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 10)))
        let jitter = Double.random(in: 0.75...1.25)
        return exp * jitter
    }
}

func sleepSeconds(_ s: Double) {
    guard s > 0 else { return }
    let ms = s.clampedMilliseconds()
    var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    var rem = timespec()
    while nanosleep(&ts, &rem) != 0 && errno == EINTR { ts = rem }
}

/// Seconds for a message, to one decimal; values from the network can be anything, so no
/// conversion here may trap.
func fmt(_ d: Double) -> String {
    guard d.isFinite, abs(d) < 1e15 else { return d.isNaN ? "?" : (d < 0 ? "-" : "") + "many" }
    let r = (d * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
}
