import Foundation

/// A server process on a loopback port, stopped by its own process id: the docker registry
/// and the bearer-token endpoint of the plugin tests.
public class LoopbackServerProcess: @unchecked Sendable {
    public let port: Int
    let process = Process()

    init(executable: String, arguments: [String], port: Int, what: String, log: URL? = nil) throws {
        self.port = port
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !Self.listening(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                let detail = log.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
                throw NSError(domain: "LoopbackServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(what) did not start listening on \(port): \(detail.suffix(400))"])
            }
            usleep(50_000)
        }
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Debian's `docker-registry` (distribution 2.8) on loopback with TLS (the given certificate,
/// e.g. sg-sim's, whose CA a client is given) and htpasswd (bcrypt) authentication for one user.
/// The password goes to `htpasswd -B -i` on stdin, never into an argv.
///
///     let registry = try ContainerRegistry(dir: tmp, cert: ready.serverCert, key: key, user: "dbadmin", password: pw)
///     // docker://127.0.0.1:\(registry.port)/repo:tag
public final class ContainerRegistry: LoopbackServerProcess, @unchecked Sendable {
    public init(dir: URL, cert: String, key: String, user: String, password: String) throws {
        let htpasswd = dir.appendingPathComponent("htpasswd")
        let made = try ToolRunner.run("/usr/bin/htpasswd", ["-B", "-i", "-c", htpasswd.path, user],
                                      environment: ["PATH": "/usr/bin:/bin"], stdin: Data(password.utf8), timeout: 30)
        guard made.status == 0 else {
            throw NSError(domain: "ContainerRegistry", code: 1, userInfo: [NSLocalizedDescriptionKey: "htpasswd failed: \(made.stderrText)"])
        }
        let port = LoopbackPort.unused()
        let config = dir.appendingPathComponent("registry.yml")
        try """
        version: 0.1
        log:
          level: warn
          accesslog: {disabled: true}
        storage:
          filesystem: {rootdirectory: "\(dir.appendingPathComponent("data").path)"}
        http:
          addr: 127.0.0.1:\(port)
          tls: {certificate: "\(cert)", key: "\(key)"}
        auth:
          htpasswd: {realm: sg-test, path: "\(htpasswd.path)"}

        """.write(to: config, atomically: true, encoding: .utf8)
        try super.init(executable: "/usr/bin/docker-registry", arguments: ["serve", config.path], port: port,
                       what: "docker-registry", log: dir.appendingPathComponent("registry.log"))
    }
}

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
