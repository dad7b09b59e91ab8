import XCTest
import COpenSSL
@testable import SGTransport

/// The one OpenSSL error drainer (`sg_crypto_error_line`): ClientCertificate used to keep only the
/// last reason and OpenSSLKeyReader the first three; both now keep the root cause and the last.
final class OpenSSLErrorLineTests: XCTestCase {
    /// Queues the decoder's "unsupported" (a PEM read of text that is no key), then `extra` EC decoding errors.
    func queueErrors(extra: Int) {
        ERR_clear_error()
        let text = Array("not a key".utf8)
        text.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            XCTAssertNil(PEM_read_bio_PrivateKey(bio, nil, nil, nil))
            _ = BIO_free(bio)
        }
        let group = EC_GROUP_new_by_curve_name(415)   // NID_X9_62_prime256v1
        let point = EC_POINT_new(group)
        let junk: [UInt8] = [0x05, 1, 2, 3]
        for _ in 0..<extra { XCTAssertEqual(EC_POINT_oct2point(group, point, junk, junk.count, nil), 0) }
        EC_POINT_free(point)
        EC_GROUP_free(group)
    }

    func testTheRootCauseIsKeptAndTheQueueEmptied() {
        queueErrors(extra: 6)
        let line = OpenSSL.drainErrors()
        XCTAssertTrue(line.contains("DECODER routines::unsupported"), line)
        XCTAssertEqual(line.components(separatedBy: "; ").count, 4, line)
        XCTAssertEqual(ERR_get_error(), 0, "the queue is emptied")
    }

    func testOneReasonAndNone() {
        queueErrors(extra: 0)
        let line = OpenSSL.drainErrors()
        XCTAssertTrue(line.contains("DECODER routines::unsupported"), line)
        XCTAssertFalse(line.contains("; "), line)
        XCTAssertEqual(OpenSSL.drainErrors(), "no detail")
    }
}
