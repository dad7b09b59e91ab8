import Foundation
import SGCore
import SGTestSupport
import XCTest

/// Keys, certificates and PKCS#12 files made by the real `openssl` command in a private folder.
final class CryptoFixtures {
    let dir: URL
    let keyPEM: SecretBytes
    let encryptedKeyPEM: SecretBytes
    let certificatePEM: [UInt8]
    let caPEM: [UInt8]
    /// key + certificate + the CA in its chain, under `passphrase`.
    let bundle: SecretBytes
    let certificateOnly: SecretBytes
    let keyOnly: SecretBytes
    static let passphrase = "fixture pass"
    var passphrase: String { Self.passphrase }

    init() throws {
        let dir = try TestPaths.makeTempDir("sg-crypto")
        self.dir = dir
        func openssl(_ args: [String]) throws {
            let run = try ToolRunner.run("/usr/bin/openssl", args, environment: ["PATH": "/usr/bin:/bin"], cwd: dir)
            guard run.status == 0 else { throw NSError(domain: "openssl", code: Int(run.status), userInfo: [NSLocalizedDescriptionKey: "openssl \(args): \(run.stderrText)"]) }
        }
        func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: dir.appendingPathComponent(name))) }
        let pass = "pass:\(Self.passphrase)"
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                     "-subj", "/CN=sg test CA", "-days", "2", "-out", "ca.pem"])
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "leaf.key"])
        try openssl(["req", "-new", "-key", "leaf.key", "-subj", "/O=sg/CN=sg-client", "-out", "leaf.csr"])
        try openssl(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "2", "-out", "leaf.pem"])
        try openssl(["pkey", "-in", "leaf.key", "-aes256", "-passout", pass, "-out", "leaf-encrypted.key"])
        try openssl(["pkcs12", "-export", "-inkey", "leaf.key", "-in", "leaf.pem", "-certfile", "ca.pem", "-passout", pass, "-out", "bundle.p12"])
        try openssl(["pkcs12", "-export", "-nokeys", "-in", "leaf.pem", "-passout", pass, "-out", "certonly.p12"])
        try openssl(["pkcs12", "-export", "-nocerts", "-inkey", "leaf.key", "-passout", pass, "-out", "keyonly.p12"])
        keyPEM = SecretBytes(bytes: try read("leaf.key"))
        encryptedKeyPEM = SecretBytes(bytes: try read("leaf-encrypted.key"))
        certificatePEM = try read("leaf.pem")
        caPEM = try read("ca.pem")
        bundle = SecretBytes(bytes: try read("bundle.p12"))
        certificateOnly = SecretBytes(bytes: try read("certonly.p12"))
        keyOnly = SecretBytes(bytes: try read("keyonly.p12"))
    }

    deinit { try? FileManager.default.removeItem(at: dir) }
}

/// A test class over one set of fixtures, made when the class starts and removed when it ends.
class FixtureCase: XCTestCase {
    nonisolated(unsafe) static var fixtures: CryptoFixtures?
    var f: CryptoFixtures { Self.fixtures! }

    override class func setUp() {
        super.setUp()
        fixtures = try? CryptoFixtures()
    }

    override class func tearDown() {
        fixtures = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(Self.fixtures != nil, "openssl could not make the fixtures")
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
    }
    return out
}
