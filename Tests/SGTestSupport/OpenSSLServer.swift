import Foundation

/// `openssl s_server` on a loopback port, for servers sg-sim cannot be (one that speaks only
/// TLS 1.1, or only TLS 1.3). Stopped by its own process id.
///
///     let server = try OpenSSLServer(cert: ready.serverCert, key: ready.serverKey,
///                                    flags: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
///     defer { server.stop() }
public final class OpenSSLServer: LoopbackServerProcess, @unchecked Sendable {
    public init(cert: String, key: String, flags: [String]) throws {
        let port = LoopbackPort.unused()
        try super.init(executable: "/usr/bin/openssl",
                       arguments: ["s_server", "-cert", cert, "-key", key, "-accept", "127.0.0.1:\(port)", "-www"] + flags,
                       port: port, what: "openssl s_server \(flags)", holdStdinOpen: true)
    }
}
