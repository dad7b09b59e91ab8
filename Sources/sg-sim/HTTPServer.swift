import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One listener: HTTP/1.1 with keep-alive and TCP_NODELAY, TLS when `tls` is given, on 127.0.0.1.
/// Each accepted TCP connection gets an id (for the request log and connection-reuse checks).
enum HTTPServer {
    static func start(group: EventLoopGroup, port: Int, tls: NIOSSLContext?, listener: Listener, app: SimApp) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let conn = app.newConnection(listener)
                    let ops = channel.pipeline.syncOperations
                    if let tls {
                        if app.locked({ app.faults.certAbortQueued }) {
                            try ops.addHandler(NIOSSLServerHandler(
                                context: tls, customVerificationCallback: CertificateAbort.verifier(app: app, channel: channel)))
                        } else {
                            try ops.addHandler(NIOSSLServerHandler(context: tls))
                        }
                    }
                    try ops.configureHTTPServerPipeline(withErrorHandling: true)
                    try ops.addHandler(SimHTTPHandler(app: app, conn: conn, listener: listener))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
    }

    /// TLS for the Safeguard and Identity listeners: asks for a client certificate but accepts a
    /// connection without one (rSTS user logins come without); a presented certificate must chain to
    /// the sim's CA or the handshake fails.
    static func tlsContext(pki: PKI, tls12Only: Bool) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(pki.pki("server.pem")).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: pki.pki("server.key"), format: .pem)
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        config.certificateVerification = .optionalVerification
        config.trustRoots = .file(pki.pki("ca.pem"))
        config.sendCANameList = true
        config.minimumTLSVersion = .tlsv12
        config.maximumTLSVersion = tls12Only ? .tlsv12 : .tlsv13
        config.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: config)
    }
}

final class SimHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let app: SimApp
    private let conn: Int
    private let listener: Listener
    private var head: HTTPRequestHead?
    private var body = Data()

    init(app: SimApp, conn: Int, listener: Listener) {
        self.app = app
        self.conn = conn
        self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = Data()
            // curl waits a second for this before sending a large body.
            if h.headers["Expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .continue))), promise: nil)
            }
        case .body(var buf):
            if let bytes = buf.readBytes(length: buf.readableBytes) { body.append(contentsOf: bytes) }
        case .end:
            guard let h = head else { return }
            head = nil
            respond(context: context, head: h)
        }
    }

    private func clientCN(_ context: ChannelHandlerContext) -> String? {
        guard let cert = try? context.pipeline.syncOperations.nioSSL_peerCertificate() else { return nil }
        return cert.subjectName.last { $0.type == .commonName }?.value ?? "unknown"
    }

    private func respond(context: ChannelHandlerContext, head h: HTTPRequestHead) {
        let req = SimRequest(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) },
                             body: body, conn: conn, clientCN: listener == .admin ? nil : clientCN(context),
                             listener: listener)
        // The A2A hub's Server-Sent Events stream stays open: HubRoutes.swift writes it.
        if let open = app.hubOpen(req) {
            switch open {
            case .response(let r): write(context: context, response: r, keepAlive: h.isKeepAlive, reset: false)
            case .stream(let c): startHubStream(context: context, connection: c, app: app)
            }
            return
        }
        let (response, fault) = app.handle(req)
        let keepAlive = h.isKeepAlive
        let delay = fault?.delayMs ?? 0
        let reset = fault?.reset ?? false
        if delay > 0 {
            let loop = context.eventLoop.assumeIsolated()
            loop.scheduleTask(in: .milliseconds(Int64(delay))) {
                self.write(context: context, response: response, keepAlive: keepAlive, reset: reset)
            }
        } else {
            write(context: context, response: response, keepAlive: keepAlive, reset: reset)
        }
    }

    private func write(context: ChannelHandlerContext, response: SimResponse, keepAlive: Bool, reset: Bool) {
        var headers = HTTPHeaders()
        for (k, v) in response.headers { headers.add(name: k, value: v) }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Server", value: "sg-sim")
        headers.replaceOrAdd(name: "Connection", value: keepAlive && !reset ? "keep-alive" : "close")
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if reset {
            // Headers and half the body, then the connection goes away mid-response.
            var buf = context.channel.allocator.buffer(capacity: response.body.count)
            buf.writeBytes(response.body.prefix(max(1, response.body.count / 2)))
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
            context.close(promise: nil)
            return
        }
        if !response.body.isEmpty {
            var buf = context.channel.allocator.buffer(capacity: response.body.count)
            buf.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in ctx.value.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
