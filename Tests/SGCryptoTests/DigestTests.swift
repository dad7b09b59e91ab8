import SGCore
import XCTest
@testable import SGCrypto

/// Known answers from the standards: FIPS 180-2 (SHA-256), RFC 4231 (HMAC-SHA-256), RFC 7914 (scrypt).
final class DigestTests: XCTestCase {
    func testSHA256KnownAnswers() {
        XCTAssertEqual(hex(Digest.sha256([UInt8]())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(Digest.sha256(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(Digest.sha256(SecretBytes(string: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testHMACSHA256KnownAnswersFromRFC4231() {
        XCTAssertEqual(hex(Digest.hmacSHA256(key: SecretBytes(bytes: [UInt8](repeating: 0x0b, count: 20)), SecretBytes(string: "Hi There"))),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(hex(Digest.hmacSHA256(key: SecretBytes(string: "Jefe"), SecretBytes(string: "what do ya want for nothing?"))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block size is hashed first.
        XCTAssertEqual(hex(Digest.hmacSHA256(key: SecretBytes(bytes: [UInt8](repeating: 0xaa, count: 131)),
                                             SecretBytes(string: "Test Using Larger Than Block-Size Key - Hash Key First"))),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testHMACOfAnEmptyMessage() {
        let a = Digest.hmacSHA256(key: SecretBytes(string: "k"), SecretBytes(bytes: []))
        XCTAssertEqual(a.count, 32)
        XCTAssertNotEqual(a, Digest.hmacSHA256(key: SecretBytes(string: "l"), SecretBytes(bytes: [])))
    }

    func testScryptKnownAnswersFromRFC7914() throws {
        let first = try KDF.scrypt(SecretBytes(bytes: []), salt: [], n: 16, r: 1, p: 1, length: 64)
        XCTAssertEqual(hex(first.unsafeArray()), "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                       + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let second = try KDF.scrypt(SecretBytes(string: "password"), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, length: 64)
        XCTAssertEqual(hex(second.unsafeArray()), "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                       + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    func testScryptRefusesBadParametersWithAnError() {
        XCTAssertThrowsError(try KDF.scrypt(SecretBytes(string: "p"), salt: [1], n: 3, r: 1, p: 1, length: 32), "n not a power of two")
        XCTAssertThrowsError(try KDF.scrypt(SecretBytes(string: "p"), salt: [1], n: 1 << 62, r: 1 << 40, p: 1, length: 32))
    }

    func testRandomBytesHaveTheLengthAskedFor() throws {
        for count in [0, 1, 12, 32, 60, 4096] {
            XCTAssertEqual(try SecureRandom.secret(count: count).count, count)
            XCTAssertEqual(try SecureRandom.bytes(count: count).count, count)
        }
        XCTAssertNotEqual(try SecureRandom.bytes(count: 32), try SecureRandom.bytes(count: 32))
        XCTAssertFalse(try SecureRandom.secret(count: 32).constantTimeEquals(try SecureRandom.secret(count: 32)))
        XCTAssertThrowsError(try SecureRandom.bytes(count: -1))
    }
}
