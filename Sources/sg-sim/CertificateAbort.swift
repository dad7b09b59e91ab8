import Foundation
import NIOCore
import NIOSSL

/// The `certAbort` fault: an appliance that rejects a client certificate and drops the connection
/// at once (TCP reset) instead of sending its TLS alert.
///
/// Under TLS 1.3 the server judges the client certificate after the client has finished its side of
/// the handshake and sent its request; a real appliance that closes right after its alert races
/// that alert against the client's send and receive. Leaving the alert out makes the race come out
/// the same way every time: the client sees "connection reset" or "broken pipe", never the alert.
/// (Under TLS 1.2 the reset comes during the handshake instead.)
enum CertificateAbort {
    /// The verification to install on a connection accepted while the fault is queued. The chain is
    /// checked as the normal path does (against the sim's CA, for client use) with `openssl verify`,
    /// off the event loop; a trusted certificate is accepted, a rejected one costs one use of the
    /// fault and resets the connection (with no fault left, it is refused with the usual alert).
    static func verifier(app: SimApp, channel: any Channel) -> NIOSSLCustomVerificationCallback {
        let caFile = app.pki.pki("ca.pem")
        return { chain, promise in
            let leaf = chain.first.flatMap { try? $0.toDERBytes() }
            DispatchQueue.global().async {
                guard let leaf, !trusted(leaf, caFile: caFile) else {
                    promise.succeed(leaf == nil ? .failed : .certificateVerified)
                    return
                }
                guard app.locked({ app.faults.takeCertAbort() }) else {
                    promise.succeed(.failed)
                    return
                }
                channel.eventLoop.execute {
                    // SO_LINGER 0: close() sends a reset and discards anything unsent (the alert).
                    let reset = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                        ?? channel.eventLoop.makeSucceededVoidFuture()
                    reset.whenComplete { _ in
                        channel.close(promise: nil)
                        promise.succeed(.failed)
                    }
                }
            }
        }
    }

    /// `openssl verify -CAfile CA -purpose sslclient` over the certificate (PEM on stdin).
    private static func trusted(_ der: [UInt8], caFile: String) -> Bool {
        let pem = "-----BEGIN CERTIFICATE-----\n"
            + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE-----\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl", "verify", "-CAfile", caFile, "-purpose", "sslclient"]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        input.fileHandleForWriting.write(Data(pem.utf8))
        try? input.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
