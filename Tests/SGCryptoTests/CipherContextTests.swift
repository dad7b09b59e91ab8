import SGCore
import XCTest
@testable import SGCrypto

final class CipherContextTests: XCTestCase {
    let key = SecretBytes(bytes: (0..<32).map { UInt8($0) })
    let nonce = Array(repeating: UInt8(7), count: 12)
    let aad = Array("header".utf8)

    /// The GCM specification's test cases 13 and 14 (McGrew & Viega, AES-256, zero key and nonce).
    func testKnownAnswersFromTheGCMSpecification() throws {
        let zeroKey = SecretBytes(bytes: [UInt8](repeating: 0, count: 32)), zeroNonce = [UInt8](repeating: 0, count: 12)
        let empty = try CipherContext().sealAES256GCM(SecretBytes(bytes: []), key: zeroKey, nonce: zeroNonce, aad: [])
        XCTAssertEqual(hex(empty), "530f8afbc74536b9a963b4f1c4cb738b")
        let block = try CipherContext().sealAES256GCM(SecretBytes(bytes: [UInt8](repeating: 0, count: 16)), key: zeroKey, nonce: zeroNonce, aad: [])
        XCTAssertEqual(hex(block), "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919")
    }

    func testRoundTripOfEverySizeUpToTwoBlocks() throws {
        for size in 0...33 {
            let plain = SecretBytes(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let sealed = try CipherContext().sealAES256GCM(plain, key: key, nonce: nonce, aad: aad)
            XCTAssertEqual(sealed.count, size + 16)
            let opened = try XCTUnwrap(CipherContext().openAES256GCM(sealed, key: key, nonce: nonce, aad: aad))
            XCTAssertTrue(opened.constantTimeEquals(plain), "size \(size)")
        }
    }

    /// Ark's file cache uses 16-byte nonces.
    func testSixteenByteNonceRoundTrips() throws {
        let long = Array(repeating: UInt8(9), count: 16)
        let sealed = try CipherContext().sealAES256GCM(SecretBytes(string: "token"), key: key, nonce: long, aad: [])
        XCTAssertEqual(try CipherContext().openAES256GCM(sealed, key: key, nonce: long, aad: [])?.unsafeString(), "token")
        XCTAssertNil(try CipherContext().openAES256GCM(sealed, key: key, nonce: Array(long[0..<12]), aad: []))
    }

    func testAnyChangeFailsAuthentication() throws {
        let sealed = try CipherContext().sealAES256GCM(SecretBytes(string: "a secret value"), key: key, nonce: nonce, aad: aad)
        let context = try CipherContext()
        for i in sealed.indices {
            var tampered = sealed
            tampered[i] ^= 0x01
            XCTAssertNil(context.openAES256GCM(tampered, key: key, nonce: nonce, aad: aad), "byte \(i) flipped")
        }
        XCTAssertNil(context.openAES256GCM(sealed, key: SecretBytes(bytes: [UInt8](repeating: 1, count: 32)), nonce: nonce, aad: aad))
        XCTAssertNil(context.openAES256GCM(sealed, key: key, nonce: [UInt8](repeating: 8, count: 12), aad: aad))
        XCTAssertNil(context.openAES256GCM(sealed, key: key, nonce: nonce, aad: Array("Header".utf8)))
        XCTAssertNil(context.openAES256GCM(Array(sealed.dropLast()), key: key, nonce: nonce, aad: aad))
        XCTAssertNil(context.openAES256GCM(Array(sealed[0..<15]), key: key, nonce: nonce, aad: aad), "shorter than a tag")
        // The same context still opens the untouched text: a failed open leaves it usable.
        XCTAssertEqual(context.openAES256GCM(sealed, key: key, nonce: nonce, aad: aad)?.unsafeString(), "a secret value")
        XCTAssertEqual(OpenSSLError.drain().reasons, "no detail", "a failed open leaves nothing on OpenSSL's error queue")
    }

    func testBadKeyOrNonceLengthsAreRefusedNotPassedToOpenSSL() throws {
        let plain = SecretBytes(string: "x")
        XCTAssertThrowsError(try CipherContext().sealAES256GCM(plain, key: SecretBytes(bytes: [1, 2, 3]), nonce: nonce, aad: []))
        XCTAssertThrowsError(try CipherContext().sealAES256GCM(plain, key: key, nonce: [], aad: []))
        XCTAssertThrowsError(try CipherContext().sealAES256GCM(plain, key: key, nonce: [UInt8](repeating: 0, count: 17), aad: []))
        XCTAssertNil(try CipherContext().openAES256GCM([UInt8](repeating: 0, count: 32), key: key, nonce: [], aad: []))
    }
}
