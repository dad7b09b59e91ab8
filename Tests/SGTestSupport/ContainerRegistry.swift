import Foundation

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
