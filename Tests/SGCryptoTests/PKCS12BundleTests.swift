import SGCore
import XCTest
@testable import SGCrypto

final class PKCS12BundleTests: FixtureCase {
    func testBundleOpensWithItsPassphrase() throws {
        let bundle = try PKCS12Bundle(der: f.bundle, passphrase: SecretBytes(string: f.passphrase))
        XCTAssertEqual(bundle.certificate.subject, "/O=sg/CN=sg-client")
        XCTAssertEqual(bundle.chain.map(\.subject), ["/CN=sg test CA"])
        XCTAssertEqual(try bundle.certificate.pem(), f.certificatePEM)
        XCTAssertEqual(try bundle.chain[0].pem(), f.caPEM)
        let original = try EVPKey(privateKeyPEM: f.keyPEM, passphrase: nil)
        XCTAssertTrue(try bundle.privateKey.unencryptedPEM().constantTimeEquals(try original.unencryptedPEM()))
    }

    /// The owners a bundle hands out hold their own objects: they work after the bundle is gone.
    func testKeyAndCertificatesOutliveTheBundle() throws {
        var bundle: PKCS12Bundle? = try PKCS12Bundle(der: f.bundle, passphrase: SecretBytes(string: f.passphrase))
        let key = bundle!.privateKey, leaf = bundle!.certificate, chain = bundle!.chain
        weak let gone = bundle
        bundle = nil
        XCTAssertNil(gone)
        XCTAssertEqual(key.kind, .ec)
        XCTAssertEqual(leaf.subject, "/O=sg/CN=sg-client")
        XCTAssertEqual(try chain[0].pem(), f.caPEM)
    }

    func testWrongPassphraseIsSaidSo() {
        for wrong in [SecretBytes(string: "nope"), nil] {
            XCTAssertThrowsError(try PKCS12Bundle(der: f.bundle, passphrase: wrong)) { error in
                XCTAssertEqual(error as? PKCS12Bundle.ReadError, .wrongPassphrase)
            }
        }
    }

    /// OpenSSL's PKCS12_parse succeeds on these and returns no key or no certificate.
    func testFilesWithoutAKeyOrACertificateAreRefusedByName() {
        let pass = SecretBytes(string: f.passphrase)
        XCTAssertThrowsError(try PKCS12Bundle(der: f.certificateOnly, passphrase: pass)) { error in
            XCTAssertEqual(error as? PKCS12Bundle.ReadError, .missingPrivateKey)
        }
        XCTAssertThrowsError(try PKCS12Bundle(der: f.keyOnly, passphrase: pass)) { error in
            XCTAssertEqual(error as? PKCS12Bundle.ReadError, .missingCertificate)
        }
    }

    func testNotAPKCS12FileCarriesOpenSSLsReason() {
        for junk in [SecretBytes(bytes: []), SecretBytes(string: "hello"), f.keyPEM] {
            XCTAssertThrowsError(try PKCS12Bundle(der: junk, passphrase: nil)) { error in
                guard case .unreadable(let detail)? = error as? PKCS12Bundle.ReadError else { return XCTFail("\(error)") }
                XCTAssertNotEqual(detail.reasons, "no detail")
            }
        }
    }
}
