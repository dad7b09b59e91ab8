import SGCore
import XCTest
@testable import SGCrypto

final class EVPKeyTests: FixtureCase {
    func testPlainAndEncryptedKeysGiveTheSameKey() throws {
        let plain = try EVPKey(privateKeyPEM: f.keyPEM, passphrase: nil)
        let decrypted = try EVPKey(privateKeyPEM: f.encryptedKeyPEM, passphrase: SecretBytes(string: f.passphrase))
        XCTAssertEqual(plain.kind, .ec)
        XCTAssertEqual(plain.textParameter("group"), "prime256v1")
        XCTAssertTrue(try plain.unencryptedPEM().constantTimeEquals(try decrypted.unencryptedPEM()))
        XCTAssertTrue(try plain.unencryptedPEM().unsafeString().hasPrefix("-----BEGIN PRIVATE KEY-----"))
        // A passphrase given for a key that needs none is not used.
        XCTAssertNoThrow(try EVPKey(privateKeyPEM: f.keyPEM, passphrase: SecretBytes(string: "unused")))
    }

    func testEncryptedKeyWithoutPassphraseNeedsOneAndNeverPrompts() {
        XCTAssertThrowsError(try EVPKey(privateKeyPEM: f.encryptedKeyPEM, passphrase: nil)) { error in
            XCTAssertEqual(error as? EVPKey.ReadError, .needsPassphrase)
        }
    }

    func testWrongPassphraseCarriesOpenSSLsReason() {
        XCTAssertThrowsError(try EVPKey(privateKeyPEM: f.encryptedKeyPEM, passphrase: SecretBytes(string: "wrong"))) { error in
            guard case .wrongPassphrase(let detail)? = error as? EVPKey.ReadError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.reasons.contains("bad decrypt"), detail.reasons)
        }
        XCTAssertThrowsError(try EVPKey(privateKeyPEM: f.encryptedKeyPEM, passphrase: SecretBytes(bytes: [UInt8](repeating: 0x61, count: 2000)))) { error in
            XCTAssertEqual(error as? EVPKey.ReadError, .passphraseTooLong)
        }
    }

    func testUnreadableKeyCarriesOpenSSLsReason() {
        for text in ["not a key", "", "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n"] {
            XCTAssertThrowsError(try EVPKey(privateKeyPEM: SecretBytes(string: text), passphrase: nil)) { error in
                guard case .unreadable(let detail)? = error as? EVPKey.ReadError else { return XCTFail("\(error)") }
                XCTAssertTrue(detail.reasons.contains("DECODER routines::unsupported") || detail.reasons.contains("PEM routines"), detail.reasons)
            }
        }
    }

    /// RFC 8032 §7.1, test 1: the secret key 9d61…7f60 has the public key d75a…511a.
    func testEd25519FromSeedGivesRFC8032sPublicKey() throws {
        let seed = bytes(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let key = try seed.withUnsafeBytes { try EVPKey.ed25519(seed: $0) }
        XCTAssertEqual(key.kind, .ed25519)
        XCTAssertEqual(hex(try key.rawPublicKey()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        XCTAssertEqual(hex(try key.rawPrivateKey().unsafeArray()), hex(seed))
        XCTAssertThrowsError(try [UInt8](repeating: 1, count: 31).withUnsafeBytes { try EVPKey.ed25519(seed: $0) })
    }

    func testKeyPartsComeOutOfTheOwner() throws {
        let key = try EVPKey(privateKeyPEM: f.keyPEM, passphrase: nil)
        let point = try key.octetParameter("pub", maximumLength: 65)
        XCTAssertEqual(point.count, 65)
        XCTAssertEqual(point.first, 4)
        let scalar = try key.bigNumber("priv")
        // Q = d·G: the owners of the key, the scalar and the points agree.
        let derived = try ECPoint(curve: .p256, generatorTimes: scalar)
        XCTAssertEqual(try derived.uncompressedOctets(), point)
        XCTAssertThrowsError(try key.bigNumber("rsa-factor1"))
        XCTAssertNil(key.textParameter("no-such-parameter"))
        XCTAssertEqual(OpenSSLError.drain().reasons, "no detail", "a missing parameter leaves nothing queued")
    }
}
