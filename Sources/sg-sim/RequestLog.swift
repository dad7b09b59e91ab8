import Foundation

/// What `GET /admin/log` shows: method, path (with the query, which never carries a secret), how the
/// request authenticated, the client certificate's CN, the connection id and the status. No header
/// value, body, key, password or token is ever kept.
struct LogEntry {
    let method: String
    let path: String
    let auth: String
    let cert: String
    let conn: Int
    let status: Int

    var json: JSON {
        .object([("method", .string(method)), ("path", .string(path)), ("auth", .string(auth)),
                 ("cert", .string(cert)), ("conn", .int(conn)), ("status", .int(status))])
    }
}

struct RequestLog {
    private(set) var entries: [LogEntry] = []
    private(set) var requests = 0
    var connections = 0
    var logins = 0

    mutating func record(_ req: SimRequest, status: Int) {
        requests += 1
        let auth = req.a2aKey != nil ? "a2a" : (req.bearer != nil ? "bearer" : "none")
        let path = req.rawQuery.isEmpty ? req.path : req.path + "?" + req.rawQuery
        entries.append(LogEntry(method: req.method, path: path, auth: auth, cert: req.clientCN ?? "none",
                                conn: req.conn, status: status))
        if entries.count > 10_000 { entries.removeFirst(entries.count - 10_000) }
    }

    mutating func reset() {
        entries.removeAll()
        requests = 0
        connections = 0
        logins = 0
    }
}
