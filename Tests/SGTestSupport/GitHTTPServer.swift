import Foundation

/// A loopback git smart-HTTP server for tests: `git http-backend` behind HTTP Basic auth, run by a
/// short Python script on 127.0.0.1 (plain HTTP; rules need `allow-http: true`).
///
/// Accounts are per first path component (`team`, `other`) and are read from a JSON file on every
/// request, so after a rotation in sg-sim `setAccount` makes the server accept only the new
/// password. Each request is logged (path, user, whether it was accepted; never the password).
///
///     let server = try GitHTTPServer()
///     defer { server.stop() }
///     try server.createRepository("team/repo.git")
///     try server.setAccount("team", user: "svc-git", password: "...")
///     // git clone \(server.url("team/repo.git"))
public final class GitHTTPServer: @unchecked Sendable {
    public struct LogEntry: Decodable, Sendable {
        public let method: String
        public let path: String
        public let user: String
        public let status: Int
    }

    public let root: URL
    public let repositories: URL
    public private(set) var port: Int = 0
    private let process: Process
    private var stopped = false

    public init(timeout: TimeInterval = 20) throws {
        root = try TestPaths.makeTempDir("githttp")
        repositories = root.appendingPathComponent("repos")
        try FileManager.default.createDirectory(at: repositories, withIntermediateDirectories: true)
        let script = root.appendingPathComponent("server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        try "{}".write(to: root.appendingPathComponent("accounts.json"), atomically: true, encoding: .utf8)
        let portFile = root.appendingPathComponent("port")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, root.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try TestPaths.output(to: root.appendingPathComponent("server.stderr"))
        try process.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = p
                break
            }
            if !process.isRunning || Date() > deadline {
                let err = (try? String(contentsOf: root.appendingPathComponent("server.stderr"), encoding: .utf8)) ?? ""
                stop()
                throw SimulatorError.timeout("git HTTP server did not start: \(err)")
            }
            usleep(20_000)
        }
    }

    /// `http://127.0.0.1:PORT/<path>`.
    public func url(_ path: String = "") -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// `http://127.0.0.1:PORT` (what a rule's URL starts with).
    public var base: String { "http://127.0.0.1:\(port)" }

    /// A bare repository at `path` (e.g. `team/repo.git`) with one commit on `main`.
    public func createRepository(_ path: String) throws {
        let dir = repositories.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: dir.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.git(["init", "-q", "--bare", "-b", "main", dir.path])
        let work = root.appendingPathComponent("seed-\(UUID().uuidString)")
        try Self.git(["init", "-q", "-b", "main", work.path])
        try "seed \(path)\n".write(to: work.appendingPathComponent("README"), atomically: true, encoding: .utf8)
        try Self.git(["-C", work.path, "add", "README"])
        try Self.git(["-C", work.path, "-c", "user.name=seed", "-c", "user.email=seed@example", "commit", "-q", "-m", "seed"])
        try Self.git(["-C", work.path, "push", "-q", dir.path, "main"])
        try? FileManager.default.removeItem(at: work)
    }

    /// The account the server accepts for repositories under `prefix` (their first path component).
    public func setAccount(_ prefix: String, user: String, password: String) throws {
        let file = root.appendingPathComponent("accounts.json")
        var accounts = (try? JSONSerialization.jsonObject(with: Data(contentsOf: file))) as? [String: [String]] ?? [:]
        accounts[prefix] = [user, password]
        let data = try JSONSerialization.data(withJSONObject: accounts)
        let tmp = root.appendingPathComponent("accounts.json.tmp")
        try data.write(to: tmp)
        guard rename(tmp.path, file.path) == 0 else { throw SimulatorError.admin("cannot replace \(file.path)") }
    }

    public func log() throws -> [LogEntry] {
        let text = (try? String(contentsOf: root.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(LogEntry.self, from: Data($0.utf8)) }
    }

    public func resetLog() {
        try? FileManager.default.removeItem(at: root.appendingPathComponent("access.log"))
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }

    deinit { stop() }

    static func git(_ args: [String]) throws {
        var env = ProcessInfo.processInfo.environment
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        let r = try ToolRunner.run("/usr/bin/git", args, environment: env)
        guard r.status == 0 else { throw SimulatorError.admin("git \(args.joined(separator: " ")) failed: \(r.status)") }
    }

    static let script = #"""
import base64, http.server, json, os, subprocess, sys, threading

ROOT = sys.argv[1]
REPOS = os.path.join(ROOT, "repos")
LOG_LOCK = threading.Lock()

def log(entry):
    with LOG_LOCK:
        with open(os.path.join(ROOT, "access.log"), "a") as f:
            f.write(json.dumps(entry) + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def handle_any(self):
        path, _, query = self.path.partition("?")
        prefix = path.lstrip("/").split("/", 1)[0]
        with open(os.path.join(ROOT, "accounts.json")) as f:
            accounts = json.load(f)
        user = ""
        ok = False
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
                user = u
                want = accounts.get(prefix)
                ok = want is not None and [u, p] == want
            except Exception:
                ok = False
        if not ok:
            log({"method": self.command, "path": path, "user": user, "status": 401})
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="sg-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": REPOS,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": ROOT,
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        r = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, payload = r.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.split(b"\r\n"):
            if not line:
                continue
            k, _, v = line.decode("latin-1").partition(":")
            v = v.strip()
            if k.lower() == "status":
                status = int(v.split()[0])
            else:
                headers.append((k, v))
        log({"method": self.command, "path": path, "user": user, "status": status})
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = handle_any
    do_POST = handle_any

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(ROOT, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(ROOT, "port.tmp"), os.path.join(ROOT, "port"))
server.serve_forever()
"""#
}
