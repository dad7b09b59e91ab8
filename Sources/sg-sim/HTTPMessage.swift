import Foundation

/// Which listener a request arrived on.
enum Listener: Sendable { case safeguard, identity, admin }

/// One parsed request, as the route files see it.
struct SimRequest {
    let method: String
    /// The path as sent, `//` collapsed, without the query.
    let path: String
    /// Lower-cased path segments, for case-insensitive matching.
    let segments: [String]
    let rawQuery: String
    let query: [String: String]
    let headers: [(String, String)]
    let body: Data
    let conn: Int
    /// Common name of the verified client certificate, nil when none was presented.
    let clientCN: String?
    let listener: Listener

    init(method: String, uri: String, headers: [(String, String)], body: Data, conn: Int, clientCN: String?, listener: Listener) {
        self.method = method.uppercased()
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var p = String(parts.first ?? "/")
        while p.contains("//") { p = p.replacingOccurrences(of: "//", with: "/") }
        self.path = p
        self.segments = p.split(separator: "/").map { ($0.removingPercentEncoding ?? String($0)).lowercased() }
        self.rawQuery = parts.count > 1 ? String(parts[1]) : ""
        self.query = formDecode(self.rawQuery)
        self.headers = headers
        self.body = body
        self.conn = conn
        self.clientCN = clientCN
        self.listener = listener
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// Query parameter, name matched without regard to case.
    func param(_ name: String) -> String? {
        query.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    var authorization: String? { header("Authorization") }

    /// `Authorization: A2A <key>` → key.
    var a2aKey: String? {
        guard let auth = authorization, auth.count > 4, auth.prefix(4).lowercased() == "a2a " else { return nil }
        return String(auth.dropFirst(4)).trimmingCharacters(in: .whitespaces)
    }

    var bearer: String? {
        guard let auth = authorization, auth.lowercased().hasPrefix("bearer ") else { return nil }
        return String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    var contentType: String { header("Content-Type")?.lowercased() ?? "" }
    var isJSON: Bool { contentType.contains("json") }

    /// Body members from JSON or a form, as strings.
    var fields: [String: String] {
        if isJSON || (body.first == UInt8(ascii: "{")) {
            guard let obj = JSON.parse(body) as? [String: Any] else { return [:] }
            var out: [String: String] = [:]
            for (k, v) in obj {
                if let s = v as? String { out[k] = s } else if let b = v as? Bool { out[k] = b ? "true" : "false" } else { out[k] = "\(v)" }
            }
            return out
        }
        return formDecode(String(decoding: body, as: UTF8.self))
    }

    func field(_ name: String) -> String? {
        fields.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    var cookies: [String: String] {
        var out: [String: String] = [:]
        for (name, value) in headers where name.caseInsensitiveCompare("Cookie") == .orderedSame {
            for pair in value.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return out
    }

    /// Segments after `/service/<svc>/v<N>/`, or nil when the path is not under that service.
    func serviceRoute(_ service: String) -> [String]? {
        guard segments.count >= 3, segments[0] == "service", segments[1] == service,
              segments[2].hasPrefix("v"), Int(segments[2].dropFirst()) != nil else { return nil }
        return Array(segments.dropFirst(3))
    }
}

func formDecode(_ s: String) -> [String: String] {
    var out: [String: String] = [:]
    for pair in s.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func dec(_ x: Substring) -> String {
            String(x).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(x)
        }
        out[dec(kv[0])] = kv.count > 1 ? dec(kv[1]) : ""
    }
    return out
}

/// One response. `auth` says how the request was authenticated, for the request log.
struct SimResponse {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data = Data()

    static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: value.data)
    }

    static func text(_ status: Int, _ text: String) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(text.utf8))
    }

    static func empty(_ status: Int) -> SimResponse { SimResponse(status: status) }

    static let notFound = json(404, safeguardError(70000, "The requested resource was not found."))
    static let methodNotAllowed = json(405, safeguardError(70001, "The requested method is not allowed."))
    /// A2A and certificate-only endpoints reached without a client certificate.
    static let certDenied = json(403, safeguardError(60094, "Authorization is denied."))
    static let a2aKeyRefused = json(403, safeguardError(60108, "Authorization is required for this request."))
    static let bearerRequired = json(401, safeguardError(60107, "Access token is missing, invalid or expired."))
}
