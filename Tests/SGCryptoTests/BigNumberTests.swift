import SGCore
import XCTest
@testable import SGCrypto

final class BigNumberTests: XCTestCase {
    func number(_ bytes: [UInt8]) throws -> BigNumber { try bytes.withUnsafeBytes { try BigNumber(magnitude: $0) } }

    func testProductAndComparison() throws {
        // 0xFFFF × 0x0101 = 0x0100FEFF; leading zero bytes do not change the number.
        let product = try number([0xFF, 0xFF]).multiplied(by: number([0x01, 0x01]))
        XCTAssertTrue(product == (try number([0x00, 0x01, 0x00, 0xFE, 0xFF])))
        XCTAssertFalse(product == (try number([0x01, 0x00, 0xFE, 0xFE])))
        product.withMagnitude { XCTAssertEqual(Array($0), [0x01, 0x00, 0xFE, 0xFF]) }
        try number([]).withMagnitude { XCTAssertEqual($0.count, 0) }
    }

    func testPointsDecodeCompareAndRefuseOffCurve() throws {
        let scalar = try number([0x2A])
        let q = try ECPoint(curve: .p384, generatorTimes: scalar)
        let octets = try q.uncompressedOctets()
        XCTAssertEqual(octets.count, 97)
        XCTAssertTrue(q == (try octets.withUnsafeBytes { try ECPoint(curve: .p384, octets: $0) }))
        XCTAssertFalse(q == (try ECPoint(curve: .p384, generatorTimes: number([0x2B]))))
        var off = octets
        off[96] ^= 1
        XCTAssertThrowsError(try off.withUnsafeBytes { try ECPoint(curve: .p384, octets: $0) }) { error in
            XCTAssertNotEqual((error as? OpenSSLError)?.reasons, "no detail")
        }
        XCTAssertThrowsError(try [UInt8]().withUnsafeBytes { try ECPoint(curve: .p256, octets: $0) })
    }
}
