import Foundation

extension Simulator {
    /// Sets a bidirectional password secret (`rotating-pw`) through the A2A API, as an appliance
    /// user would, to any JSON body (`"\"\""` for an empty password). The API key and body go
    /// through files, never argv. Returns the HTTP status.
    public func setPassword(_ secret: String, jsonBody: String, scratch: URL) throws -> Int {
        let header = scratch.appendingPathComponent("a2a-header-\(UUID().uuidString)")
        let body = scratch.appendingPathComponent("a2a-body-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: header)
            try? FileManager.default.removeItem(at: body)
        }
        guard let key = ready.apiKeys[secret] else { throw SimulatorError.admin("no API key for \(secret)") }
        FileManager.default.createFile(atPath: header.path, contents: Data("Authorization: A2A \(key)\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        FileManager.default.createFile(atPath: body.path, contents: Data(jsonBody.utf8), attributes: [.posixPermissions: 0o600])
        let args = ["-s", "-S", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ready.ca,
                       "--cert", ready.clientCert, "--key", ready.clientKey, "-H", "@\(header.path)",
                       "-H", "Content-Type: application/json", "-X", "PUT", "--data-binary", "@\(body.path)",
                       "\(ready.baseURL)/service/a2a/v4/Credentials/Password"]
        let r = try ToolRunner.run("/usr/bin/curl", args, environment: ProcessInfo.processInfo.environment, timeout: 40)
        guard r.status == 0, let status = Int(r.stdoutText) else {
            throw SimulatorError.admin("PUT Credentials/Password: curl exit \(r.status)")
        }
        return status
    }
}
