import Foundation

/// Injected failures, queued by `POST /admin/fault` and consumed by the next matching requests on the
/// Safeguard and Identity listeners (never the admin listener).
struct Fault {
    var status: Int?
    /// Sent verbatim: a number of seconds, or any text (`"1e19"`, an HTTP-date) to test parsers.
    var retryAfter: String?
    var delayMs: Int?
    var reset: Bool
    /// Not a request fault: the next `count` TLS connections whose client certificate is rejected
    /// are closed at once with a TCP reset, with no TLS alert (see `CertificateAbort`).
    var certAbort: Bool
    var remaining: Int
    var pathPrefix: String?

    init?(_ obj: [String: Any]) {
        status = obj["status"] as? Int
        retryAfter = (obj["retryAfter"] as? Int).map { String($0) } ?? obj["retryAfter"] as? String
        delayMs = obj["delayMs"] as? Int
        reset = obj["reset"] as? Bool ?? false
        certAbort = obj["certAbort"] as? Bool ?? false
        remaining = obj["count"] as? Int ?? 1
        pathPrefix = obj["path"] as? String
        guard status != nil || delayMs != nil || reset || certAbort, remaining > 0 else { return nil }
    }

    func matches(_ path: String) -> Bool {
        guard let prefix = pathPrefix, !prefix.isEmpty else { return true }
        return path.lowercased().hasPrefix(prefix.lowercased())
    }

    /// The reply a status fault sends instead of the real one.
    var response: SimResponse? {
        guard let status else { return nil }
        var r = SimResponse.json(status, safeguardError(90000 + status, "Simulated fault (HTTP \(status))."))
        if let retryAfter { r.headers.append(("Retry-After", retryAfter)) }
        return r
    }
}

/// What the HTTP handler does with one request after routing.
struct FaultAction {
    var replacement: SimResponse?
    var delayMs: Int = 0
    var reset = false
}

struct FaultQueue {
    private var faults: [Fault] = []

    mutating func add(_ fault: Fault) { faults.append(fault) }
    mutating func clear() { faults.removeAll() }

    /// Takes one use of the first fault matching `path`.
    mutating func take(_ path: String) -> FaultAction? {
        guard let i = faults.firstIndex(where: { !$0.certAbort && $0.matches(path) }) else { return nil }
        let f = faults[i]
        faults[i].remaining -= 1
        if faults[i].remaining <= 0 { faults.remove(at: i) }
        return FaultAction(replacement: f.response, delayMs: f.delayMs ?? 0, reset: f.reset)
    }

    /// Is a `certAbort` fault queued? (Checked when a TLS connection is accepted.)
    var certAbortQueued: Bool { faults.contains { $0.certAbort } }

    /// Takes one use of the first `certAbort` fault; false when none is left.
    mutating func takeCertAbort() -> Bool {
        guard let i = faults.firstIndex(where: { $0.certAbort }) else { return false }
        faults[i].remaining -= 1
        if faults[i].remaining <= 0 { faults.remove(at: i) }
        return true
    }
}
