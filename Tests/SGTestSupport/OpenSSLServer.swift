import Foundation

/// `openssl s_server` on a loopback port, for servers sg-sim cannot be (one that speaks only
/// TLS 1.1, or only TLS 1.3). Stopped by its own process id.
///
///     let server = try OpenSSLServer(cert: ready.serverCert, key: ready.serverKey,
///                                    flags: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
///     defer { server.stop() }
public final class OpenSSLServer: @unchecked Sendable {
    public let port: Int
    private let process = Process()
    private let stdin = Pipe()

    public init(cert: String, key: String, flags: [String]) throws {
        port = LoopbackPort.unused()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-cert", cert, "-key", key, "-accept", "127.0.0.1:\(port)", "-www"] + flags
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while !Self.listening(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw NSError(domain: "OpenSSLServer", code: 1,
                              userInfo: [NSLocalizedDescriptionKey: "openssl s_server \(flags) did not start listening"])
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

    private static func listening(_ port: Int) -> Bool {
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
