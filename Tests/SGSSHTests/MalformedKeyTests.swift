import Foundation
import XCTest
import SGCore
@testable import SGSSH
import SGTestSupport

/// Damaged, hostile and random key texts: each must give `malformedInput`, never a crash.
final class MalformedKeyTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try TestPaths.makeTempDir("sshbad") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The decoded openssh-key-v1 blob of a fresh unencrypted key, and where its parts start.
    struct Blob {
        var bytes: [UInt8]
        let cipherOffset = 15
        var sectionLengthOffset: Int
        var checkIntOffset: Int { sectionLengthOffset + 4 }
        var privateTypeOffset: Int { sectionLengthOffset + 12 }
    }

    func blob(_ type: String, bits: Int? = nil) throws -> Blob {
        let key = try KeyMaker.make(dir, type: type, bits: bits, comment: "fuzz")
        let text = try String(contentsOfFile: key.path, encoding: .utf8)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let bytes = Base64.decode(body)!
        var off = 15
        func skipString() { let n = Int(bytes[off]) << 24 | Int(bytes[off + 1]) << 16 | Int(bytes[off + 2]) << 8 | Int(bytes[off + 3]); off += 4 + n }
        skipString(); skipString(); skipString()  // cipher, kdf, kdfoptions
        off += 4                                    // N
        skipString()                                // public key
        return Blob(bytes: bytes, sectionLengthOffset: off)
    }

    static func armor(_ bytes: [UInt8]) -> SecretBytes {
        let b64 = Base64.encode(bytes)
        var lines: [String] = []
        var s = Substring(b64)
        while !s.isEmpty { lines.append(String(s.prefix(70))); s = s.dropFirst(70) }
        return SecretBytes(string: "-----BEGIN OPENSSH PRIVATE KEY-----\n" + lines.joined(separator: "\n") + "\n-----END OPENSSH PRIVATE KEY-----\n")
    }

    func testGarbageAndEmptyInputs() {
        let cases: [String] = [
            "", "\0", "hello", String(repeating: "A", count: 100_000),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n-----END OPENSSH PRIVATE KEY-----\n",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA=AAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\n-----END OPENSSH PRIVATE KEY-----\n",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n\0\0\0\n-----END PRIVATE KEY-----\n",
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\0AAAA\n-----END EC PRIVATE KEY-----\n",
            "-----BEGIN ",
            "-----BEGIN \0\0-----",
        ]
        for c in cases { assertMalformed(try PrivateKey.read(SecretBytes(string: c)), "case \(c.prefix(40).debugDescription)") }
        assertMalformed(try PrivateKey.read(SecretBytes(bytes: [UInt8](repeating: 0x41, count: PrivateKey.maximumSize + 1))), "oversized")
    }

    func testEveryTruncationIsMalformed() throws {
        for (type, bits) in [("ed25519", nil), ("ecdsa", 384), ("rsa", 2048)] as [(String, Int?)] {
            let b = try blob(type, bits: bits)
            let step = b.bytes.count > 1000 ? 7 : 1
            for n in stride(from: 0, to: b.bytes.count, by: step) {
                assertMalformed(try PrivateKey.read(Self.armor(Array(b.bytes[0..<n]))), "\(type) truncated to \(n)")
            }
            // The untouched blob still reads.
            guard case .key = try PrivateKey.read(Self.armor(b.bytes)) else { return XCTFail("\(type) does not read back") }
        }
        // PEM text truncated at every line.
        let key = try KeyMaker.make(dir, type: "ecdsa", bits: 256, format: "PEM")
        let lines = try String(contentsOfFile: key.path, encoding: .utf8).split(separator: "\n")
        for n in 1..<lines.count {
            assertMalformed(try PrivateKey.read(SecretBytes(string: lines[0..<n].joined(separator: "\n"))), "PEM truncated to \(n) lines")
        }
    }

    func testWrongCheckIntIsRefused() throws {
        var b = try blob("ed25519")
        b.bytes[b.checkIntOffset] ^= 0x01
        XCTAssertThrowsError(try PrivateKey.read(Self.armor(b.bytes))) { e in XCTAssertTrue("\(e)".contains("check-int"), "\(e)") }
    }

    func testOversizedLengthsAreRefused() throws {
        let b = try blob("ed25519")
        for offset in [b.cipherOffset, b.sectionLengthOffset, b.privateTypeOffset] {
            for value: [UInt8] in [[0xff, 0xff, 0xff, 0xff], [0x7f, 0xff, 0xff, 0xff], [0x00, 0x01, 0x00, 0x00]] {
                var m = b.bytes
                m.replaceSubrange(offset..<(offset + 4), with: value)
                assertMalformed(try PrivateKey.read(Self.armor(m)), "length \(value) at \(offset)")
            }
        }
    }

    func testPaddingAndTrailingDataAreChecked() throws {
        var b = try blob("ed25519")
        b.bytes[b.bytes.count - 1] ^= 0x40
        assertMalformed(try PrivateKey.read(Self.armor(b.bytes)), "bad padding byte")
        let c = try blob("ed25519")
        assertMalformed(try PrivateKey.read(Self.armor(c.bytes + [0, 0, 0, 0])), "trailing bytes after the section")
    }

    func testPrivateKeyMustMatchHeaderPublicKey() throws {
        let a = try blob("ed25519"), b = try blob("ed25519")
        // Header of a, private section of b.
        let mixed = Array(a.bytes[0..<a.sectionLengthOffset]) + Array(b.bytes[b.sectionLengthOffset...])
        XCTAssertThrowsError(try PrivateKey.read(Self.armor(mixed))) { e in XCTAssertTrue("\(e)".contains("does not match"), "\(e)") }
    }

    func testNULBytesInsideTheArmor() throws {
        let key = try KeyMaker.make(dir, type: "ed25519")
        var text = Array(FileManager.default.contents(atPath: key.path)!)
        text.insert(0, at: text.count / 2)
        assertMalformed(try PrivateKey.read(SecretBytes(bytes: text)), "NUL in openssh body")
        let pem = try KeyMaker.make(dir, type: "rsa", bits: 2048, format: "PEM")
        var ptext = Array(FileManager.default.contents(atPath: pem.path)!)
        ptext[ptext.count / 2] = 0
        assertMalformed(try PrivateKey.read(SecretBytes(bytes: ptext)), "NUL in PEM body")
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = SplitMix(seed: 0x5eed)
        for (type, bits) in [("ed25519", nil), ("ecdsa", 256), ("rsa", 2048)] as [(String, Int?)] {
            let b = try blob(type, bits: bits)
            for _ in 0..<(type == "rsa" ? 400 : 1500) {
                var m = b.bytes
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(m.count))
                    m[i] = UInt8(truncatingIfNeeded: rng.next())
                }
                do { _ = try PrivateKey.read(Self.armor(m)) } catch SGError.malformedInput {
                } catch { XCTFail("\(type): unexpected error \(error)") }
            }
        }
        // Random bytes behind the PEM armours OpenSSL reads.
        for label in ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"] {
            for _ in 0..<100 {
                let n = Int(rng.next() % 600)
                let junk = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let text = "-----BEGIN \(label)-----\n\(Base64.encode(junk))\n-----END \(label)-----\n"
                assertMalformed(try PrivateKey.read(SecretBytes(string: text), passphrase: SecretBytes(string: "x")), label)
            }
        }
    }

    func testWireReaderRejectsNonMinimalAndNegativeMPInts() {
        for bytes: [UInt8] in [[0, 0, 0, 1, 0x80], [0, 0, 0, 2, 0, 0x01], [0, 0, 0, 1, 0], [0, 0, 0, 5, 1]] {
            bytes.withUnsafeBytes { raw in
                var r = SSHReader(raw, context: "test")
                do { _ = try r.mpint(); XCTFail("\(bytes) accepted") } catch {}
            }
        }
    }

    func testPublicKeyLineRejectsGarbage() {
        for line in ["", "ssh-ed25519", "ssh-ed25519 !!!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIFA5xhaJCHI9pwlD0k99Rp2j5klFGiyavK5Icu5Xkzbm",
                     "ssh-dss AAAAB3NzaC1kc3MAAAA=", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFA5xhaJCHI9pwlD0k99Rp2j5klFGiyavK5Icu5Xkzb="] {
            assertMalformed(try PublicKey(authorizedKeysLine: line), line)
        }
    }
}

/// A small deterministic generator so a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
