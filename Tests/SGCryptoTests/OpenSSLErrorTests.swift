import SGCore
import XCTest
@testable import SGCrypto

/// The one OpenSSL error drainer (`sg_crypto_error_line` under `OpenSSLError.drain`): it keeps the
/// root cause and the outermost reason, and empties the queue.
final class OpenSSLErrorTests: XCTestCase {
    /// A certificate whose DER breaks deep inside: OpenSSL queues five reasons, innermost first.
    let brokenCertificate = Array("-----BEGIN CERTIFICATE-----\nMBAwDKADAgECAgEBMAIGADAA\n-----END CERTIFICATE-----\n".utf8)

    func testTheRootCauseAndTheOutermostReasonAreKeptAndTheQueueEmptied() {
        XCTAssertThrowsError(try X509Certificate(pem: brokenCertificate)) { error in
            let reasons = (error as? OpenSSLError)?.reasons.components(separatedBy: "; ") ?? []
            XCTAssertEqual(reasons.count, 4, "\(reasons)")
            XCTAssertTrue(reasons.first?.contains("invalid object encoding") == true, "\(reasons)")
            XCTAssertTrue(reasons.last?.contains("PEM routines::ASN1 lib") == true, "\(reasons)")
        }
        XCTAssertEqual(OpenSSLError.drain().reasons, "no detail", "the queue is emptied")
    }

    func testOneReason() {
        XCTAssertThrowsError(try X509Certificate(pem: Array("no certificate here".utf8))) { error in
            let reasons = (error as? OpenSSLError)?.reasons ?? ""
            XCTAssertTrue(reasons.contains("no start line"), reasons)
            XCTAssertFalse(reasons.contains("; "), reasons)
        }
    }

    /// Reasons an earlier failure left behind do not show up in the next owner's error.
    func testAFailureReportsOnlyItsOwnReasons() {
        XCTAssertThrowsError(try EVPKey(privateKeyPEM: SecretBytes(string: "not a key"), passphrase: nil))
        XCTAssertNil(try? [UInt8](repeating: 5, count: 65).withUnsafeBytes { try ECPoint(curve: .p256, octets: $0) })
        XCTAssertThrowsError(try X509Certificate(pem: Array("no certificate here".utf8))) { error in
            let reasons = (error as? OpenSSLError)?.reasons ?? ""
            XCTAssertFalse(reasons.contains("DECODER"), reasons)
            XCTAssertFalse(reasons.contains("elliptic curve"), reasons)
        }
    }
}
