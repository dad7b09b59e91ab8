import Foundation
import SGCore
import SGTestSupport
import XCTest
@testable import SGTransport

/// ClientCertificate over the PKCS#12 seeds of the fuzz corpus (passphrase "sg-fuzz").
final class ClientCertificateTests: XCTestCase {
    func seed(_ name: String) throws -> SecretBytes {
        SecretBytes(bytes: try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("fuzz/corpus/pkcs12/\(name)")))
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch let e as SGError {
            XCTAssertEqual(e.exitCode, .config, e.message)
            return e.message
        } catch { return "\(error)" }
    }

    func testPKCS12BundleGivesTheKeyAndTheChainAsPEM() throws {
        let identity = try ClientCertificate.parsePKCS12(try seed("aes.p12"), passphrase: SecretBytes(string: "sg-fuzz"))
        XCTAssertTrue(identity.privateKeyPEM.unsafeString().hasPrefix("-----BEGIN PRIVATE KEY-----"))
        XCTAssertTrue(String(decoding: identity.certificateChainPEM, as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
        XCTAssertNotEqual(identity.subject, "unreadable certificate")
    }

    /// OpenSSL's PKCS12_parse succeeds on a file with no key, or no certificate for its key; such a
    /// file used to end in "config: cannot read PKCS#12 …: " with nothing after the colon (and the part it
    /// did hold was never freed).
    func testPKCS12WithoutAKeyOrACertificateSaysWhichIsMissing() throws {
        let pass = SecretBytes(string: "sg-fuzz")
        XCTAssertEqual(message { _ = try ClientCertificate.parsePKCS12(try self.seed("certonly.p12"), passphrase: pass, what: "c.p12") },
                       "config: cannot use PKCS#12 c.p12: it holds no private key")
        XCTAssertEqual(message { _ = try ClientCertificate.parsePKCS12(try self.seed("keyonly.p12"), passphrase: pass, what: "k.p12") },
                       "config: cannot use PKCS#12 k.p12: it holds no certificate for its private key")
    }

    func testPKCS12WrongPassphraseAndJunk() throws {
        XCTAssertEqual(message { _ = try ClientCertificate.parsePKCS12(try self.seed("aes.p12"), passphrase: SecretBytes(string: "nope"), what: "a.p12") },
                       "config: cannot open PKCS#12 a.p12: wrong passphrase")
        let junk = message { _ = try ClientCertificate.parsePKCS12(SecretBytes(string: "junk"), passphrase: nil, what: "j.p12") }
        XCTAssertTrue(junk.hasPrefix("config: cannot read PKCS#12 j.p12: "), junk)
        XCTAssertGreaterThan(junk.count, "config: cannot read PKCS#12 j.p12: ".count + 5, junk)
        XCTAssertEqual(message { _ = try ClientCertificate.parsePKCS12(SecretBytes(bytes: []), passphrase: nil, what: "e.p12") },
                       "config: cannot read PKCS#12 e.p12: not DER-encoded PKCS#12")
    }
}
