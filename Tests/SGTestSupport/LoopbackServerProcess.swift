import Foundation

/// A server process on a loopback port, ready once the port accepts connections and stopped by
/// its own process id: `openssl s_server`, the docker registry and the bearer-token endpoint.
public class LoopbackServerProcess: @unchecked Sendable {
    public let port: Int
    let process = Process()
    /// Kept open for servers that stop at the end of their input (`openssl s_server`).
    private let stdin = Pipe()

    init(executable: String, arguments: [String], port: Int, what: String, log: URL? = nil, holdStdinOpen: Bool = false) throws {
        self.port = port
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = holdStdinOpen ? stdin : FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try TestPaths.output(to: log)
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
