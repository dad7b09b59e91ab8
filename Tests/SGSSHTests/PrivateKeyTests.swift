import Foundation
import XCTest
import SGCore
@testable import SGSSH
import SGTestSupport

final class PrivateKeyTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try TestPaths.makeTempDir("sshkeys")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func testEveryUnencryptedFormatMatchesSshKeygenFingerprintAndPublicLine() throws {
        for key in try KeyMaker.matrix(dir) {
            let k = try KeyMaker.read(key)
            let expected = try key.sshKeygenFingerprint()
            XCTAssertEqual(k.publicKey.fingerprint, expected.fingerprint, key.label)
            XCTAssertEqual(k.publicKey.bits, expected.bits, key.label)
            XCTAssertEqual(k.publicKey.type.label, expected.type, key.label)
            let line = k.publicKey(comment: "").authorizedKeysLine
            XCTAssertEqual(line, try key.sshKeygenPublic(), key.label)
            // The line parses back to the same key.
            XCTAssertEqual(try PublicKey(authorizedKeysLine: line + " x").blob, k.publicKey.blob, key.label)
            let pubFile = try String(contentsOfFile: key.path + ".pub", encoding: .utf8)
            XCTAssertEqual(try PublicKey(authorizedKeysLine: pubFile).fingerprint, expected.fingerprint, key.label)
        }
    }

    func testOpenSSHKeyKeepsItsCommentAndEncoding() throws {
        let key = try KeyMaker.make(dir, type: "ed25519", comment: "deploy@ci")
        let k = try KeyMaker.read(key)
        XCTAssertEqual(k.comment, "deploy@ci")
        XCTAssertEqual(k.encoding, .opensshV1)
        XCTAssertTrue(k.publicKey.listingLine.hasSuffix("deploy@ci (ED25519)"))
        XCTAssertEqual(k.publicKey.authorizedKeysLine,
                       try String(contentsOfFile: key.path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        let rsa = try KeyMaker.read(try KeyMaker.make(dir, type: "rsa", bits: 2048, format: "PEM"))
        XCTAssertEqual(rsa.encoding, .legacyPEM)
        XCTAssertEqual(rsa.comment, "")
        let p8 = try KeyMaker.read(try KeyMaker.make(dir, type: "ecdsa", bits: 256, format: "PKCS8"))
        XCTAssertEqual(p8.encoding, .pkcs8)
    }

    func testEncryptedPEMAndPKCS8NeedTheirPassphrase() throws {
        for (type, bits, format) in [("rsa", 2048, "PEM"), ("ecdsa", 384, "PEM"), ("rsa", 3072, "PKCS8"), ("ecdsa", 521, "PKCS8")] {
            let key = try KeyMaker.make(dir, type: type, bits: bits, format: format, passphrase: "correct horse")
            let k = try KeyMaker.read(key)
            XCTAssertEqual(k.publicKey.fingerprint, try key.sshKeygenFingerprint().fingerprint, key.label)
            XCTAssertEqual(k.publicKey(comment: "").authorizedKeysLine, try key.sshKeygenPublic(), key.label)
            XCTAssertThrowsError(try PrivateKey.read(key.text, passphrase: SecretBytes(string: "wrong horse")), key.label) { e in
                XCTAssertTrue("\(e)".contains("wrong passphrase"), "\(e)")
            }
            XCTAssertThrowsError(try PrivateKey.read(key.text), key.label) { e in
                XCTAssertTrue("\(e)".contains("encrypted and no passphrase"), "\(e)")
                XCTAssertEqual((e as? SGError)?.exitCode, .dataError)
            }
        }
    }

    func testEd25519PKCS8FromOpenSSL() throws {
        let path = dir.appendingPathComponent("ed8.pem").path
        XCTAssertEqual(try Command.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", path]).status, 0)
        let der = try Command.run(["sh", "-c", "openssl pkey -in \(path) -pubout -outform DER | od -An -tx1 | tr -d ' \\n'"]).stdout
        let rawPub = Array(hexBytes(der).suffix(32))
        guard case .key(let k) = try PrivateKey.read(SecretBytes(bytes: FileManager.default.contents(atPath: path)!)) else {
            return XCTFail("expected a key")
        }
        let w = SSHWriter(); w.string("ssh-ed25519"); w.string(rawPub)
        XCTAssertEqual(k.publicKey.blob, w.bytes)
        XCTAssertEqual(k.encoding, .pkcs8)

        let enc = dir.appendingPathComponent("ed8e.pem").path
        XCTAssertEqual(try Command.run(["openssl", "genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:s3cret!!", "-out", enc]).status, 0)
        guard case .key(let ke) = try PrivateKey.read(SecretBytes(bytes: FileManager.default.contents(atPath: enc)!),
                                                     passphrase: SecretBytes(string: "s3cret!!")) else { return XCTFail("expected a key") }
        XCTAssertEqual(ke.type, .ed25519)
    }

    func testEncryptedOpenSSHKeyIsHandedToSshAdd() throws {
        for (type, bits) in [("ed25519", nil), ("rsa", 2048), ("ecdsa", 256)] as [(String, Int?)] {
            let key = try KeyMaker.make(dir, type: type, bits: bits, passphrase: "secret-pass", comment: "enc-\(type)")
            let result = try PrivateKey.read(key.text, passphrase: SecretBytes(string: "secret-pass"))
            guard case .needsSSHAdd(let pub, let cipher, let kdf) = result else { return XCTFail("\(type): expected needsSSHAdd") }
            XCTAssertEqual(cipher, "aes256-ctr")
            XCTAssertEqual(kdf, "bcrypt")
            XCTAssertEqual(pub.fingerprint, try key.sshKeygenFingerprint().fingerprint)
            XCTAssertEqual(result.publicKey.blob, pub.blob)
        }
    }

    func testOtherFormatsAreRefusedWithAHint() throws {
        let key = try KeyMaker.make(dir, type: "rsa", bits: 2048, format: "PEM")
        let ppk = dir.appendingPathComponent("k.ppk").path
        let r = try Command.run(["puttygen", key.path, "-O", "private", "-o", ppk])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertMalformed(try PrivateKey.read(SecretBytes(bytes: FileManager.default.contents(atPath: ppk)!)), "putty")
        XCTAssertThrowsError(try PrivateKey.read(SecretBytes(bytes: FileManager.default.contents(atPath: ppk)!))) { e in
            XCTAssertTrue("\(e)".contains("--format openssh"), "\(e)")
        }
        let ssh2 = dir.appendingPathComponent("k.ssh2").path
        XCTAssertEqual(try Command.run(["puttygen", key.path, "-O", "private-sshcom", "-o", ssh2]).status, 0)
        assertMalformed(try PrivateKey.read(SecretBytes(bytes: FileManager.default.contents(atPath: ssh2)!)), "ssh2")
        assertMalformed(try PrivateKey.read(SecretBytes(string: "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n")), "dsa")
        assertMalformed(try PrivateKey.read(SecretBytes(string: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), "cert")
    }

    func testRSAPublicKeyParsesFromAgentStyleBlob() throws {
        let k = try KeyMaker.read(try KeyMaker.make(dir, type: "rsa", bits: 3072))
        let p = try PublicKey(blob: k.publicKey.blob, comment: "x")
        XCTAssertEqual(p.bits, 3072)
        XCTAssertEqual(p.listingLine, "3072 \(k.publicKey.fingerprint) x (RSA)")
    }

    func testLifetimeParsing() throws {
        XCTAssertEqual(try SSHLifetime.parse("90"), 90)
        XCTAssertEqual(try SSHLifetime.parse("1h"), 3600)
        XCTAssertEqual(try SSHLifetime.parse("1h30m"), 5400)
        XCTAssertEqual(try SSHLifetime.parse("2d"), 172800)
        for bad in ["", "0", "h", "1x", "-5", "99999999999", "1h h", String(repeating: "9", count: 40)] {
            XCTAssertThrowsError(try SSHLifetime.parse(bad), bad)
        }
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { if let v = UInt8(String([a, b]), radix: 16) { out.append(v) } }
    return out
}
