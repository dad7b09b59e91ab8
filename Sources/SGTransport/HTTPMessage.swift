import SGCore

/// One HTTP request, relative to an appliance (`path` starts with `/`).
///
/// Secret-bearing parts (`authorization`, `body`) are `SecretBytes`; plain headers must not
/// carry secrets.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", put = "PUT", delete = "DELETE" }

    public var method: Method
    /// Path and query, e.g. `/service/a2a/v4/Credentials?type=Password`.
    public var path: String
    public var headers: [(String, String)] = [("Accept", "application/json")]
    /// The `Authorization` header's value, e.g. `A2A <key>` (prefix `A2A ` + secret).
    public var authorization: (prefix: String, secret: SecretBytes)?
    /// Further headers whose values are secret (a `Cookie` carrying tokens), sent as `name: value`.
    public var secretHeaders: [(name: String, value: SecretBytes)] = []
    public var body: SecretBytes?
    /// Absolute URL that overrides appliance + path (Identity PodFqdn redirects, tenants).
    public var absoluteURL: String?

    public init(_ method: Method, _ path: String) {
        self.method = method
        self.path = path
    }

    /// GET may be retried on 502/503/504; other methods only on failures before sending.
    public var isIdempotent: Bool { method == .get }

    public mutating func setJSONBody(_ body: SecretBytes) {
        self.body = body
        headers.append(("Content-Type", "application/json"))
    }

    public mutating func setFormBody(_ body: SecretBytes) {
        self.body = body
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    }

    /// The path without its query, for logs and messages.
    public var pathForLog: String {
        let p = absoluteURL ?? path
        return p.split(separator: "?", maxSplits: 1).first.map(String.init) ?? p
    }
}

/// One HTTP response. The body is a `SecretBytes` because most bodies sg reads are secrets.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: SecretBytes
    /// The appliance that answered (`host:port`).
    public let appliance: String
    /// True when this response reused a connection (no new TCP/TLS handshake).
    public let reusedConnection: Bool

    public init(status: Int, headers: [(String, String)], body: SecretBytes, appliance: String, reusedConnection: Bool) {
        self.status = status
        self.headers = headers
        self.body = body
        self.appliance = appliance
        self.reusedConnection = reusedConnection
    }

    /// The first header of that name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }

    /// Every header of that name (e.g. several `Set-Cookie`).
    public func headers(named name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.0.lowercased() == lower }.map(\.1)
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// One overall time limit for an operation and all its retries and failovers.
public struct Deadline: Sendable {
    public let at: Double
    public init(seconds: Double) { at = Monotonic.now + seconds }
    public var remaining: Double { at - Monotonic.now }
    public var hasPassed: Bool { remaining <= 0 }
}
