import Foundation

/// A tiny HTTPS endpoint in the place of a Kubernetes API server: `GET /version` answers 200
/// only with `Authorization: Bearer <the token in tokenFile>` (read on every request, so a test
/// can change it), else 401 with a Kubernetes `Status`. It counts what it saw in `hits`.
public final class BearerTokenServer: LoopbackServerProcess, @unchecked Sendable {
    public let tokenFile: URL
    public let hitsFile: URL

    static let script = #"""
import http.server, ssl, sys
cert, key, port, token_file, hits_file = sys.argv[1:6]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(token_file) as f:
            expected = f.read()
        ok = self.path == "/version" and self.headers.get("Authorization") == "Bearer " + expected
        with open(hits_file, "a") as f:
            f.write(("ok" if ok else "denied") + "\n")
        if ok:
            body = b'{"major":"1","minor":"20","gitVersion":"v1.20.2-sg-test","platform":"linux/amd64"}'
            self.send_response(200)
        else:
            body = b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
            self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""#

    public init(dir: URL, cert: String, key: String, token: String) throws {
        tokenFile = dir.appendingPathComponent("expected-token")
        hitsFile = dir.appendingPathComponent("hits")
        FileManager.default.createFile(atPath: tokenFile.path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        FileManager.default.createFile(atPath: hitsFile.path, contents: nil)
        let port = LoopbackPort.unused()
        try super.init(executable: "/usr/bin/python3",
                       arguments: ["-c", Self.script, cert, key, String(port), tokenFile.path, hitsFile.path],
                       port: port, what: "bearer-token server", log: dir.appendingPathComponent("bearer.log"))
    }

    /// The token the server accepts from now on.
    public func expect(_ token: String) throws { try Data(token.utf8).write(to: tokenFile) }

    /// "ok" / "denied" per request, in order.
    public var hits: [String] {
        ((try? String(contentsOf: hitsFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
