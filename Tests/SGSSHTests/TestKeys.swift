import Foundation
import XCTest
import SGCore
@testable import SGSSH
import SGTestSupport

/// One key made by ssh-keygen for a test.
struct GeneratedKey {
    let label: String
    let path: String
    let passphrase: String?

    var text: SecretBytes { SecretBytes(bytes: FileManager.default.contents(atPath: path) ?? Data()) }

    /// `ssh-keygen -lf` on the key's `.pub` (which ssh-keygen wrote beside it).
    func sshKeygenFingerprint() throws -> (bits: Int, fingerprint: String, type: String) {
        let r = try Command.run(["ssh-keygen", "-lf", path + ".pub"])
        guard r.status == 0 else { throw FixtureError.didNotStart("ssh-keygen -lf: \(r.stderr)") }
        let f = r.stdout.split(separator: " ")
        return (Int(f[0]) ?? -1, String(f[1]), String(f.last!).trimmingCharacters(in: CharacterSet(charactersIn: "()\n")))
    }

    /// `ssh-keygen -y` (needs the passphrase for encrypted keys): `TYPE BASE64`.
    func sshKeygenPublic() throws -> String {
        let r = try Command.run(["ssh-keygen", "-y", "-P", passphrase ?? "", "-f", path])
        guard r.status == 0 else { throw FixtureError.didNotStart("ssh-keygen -y: \(r.stderr)") }
        return r.stdout.split(separator: " ").prefix(2).joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

enum KeyMaker {
    /// `ssh-keygen -t TYPE [-b BITS] -m FORMAT -N PASS -C COMMENT -f DIR/LABEL`.
    static func make(_ dir: URL, type: String, bits: Int? = nil, format: String? = nil,
                     passphrase: String? = nil, comment: String? = nil) throws -> GeneratedKey {
        let label = [type, bits.map(String.init), format, passphrase == nil ? nil : "enc"].compactMap { $0 }.joined(separator: "-")
        var path = dir.appendingPathComponent(label).path
        var n = 1
        while FileManager.default.fileExists(atPath: path) { n += 1; path = dir.appendingPathComponent("\(label)-\(n)").path }
        var args = ["ssh-keygen", "-q", "-t", type, "-N", passphrase ?? "", "-C", comment ?? "c-\(label)", "-f", path]
        if let bits { args += ["-b", String(bits)] }
        if let format { args += ["-m", format] }
        let r = try Command.run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        return GeneratedKey(label: label, path: path, passphrase: passphrase)
    }

    /// The unencrypted matrix: every type and size in every format ssh-keygen writes for it.
    static func matrix(_ dir: URL) throws -> [GeneratedKey] {
        var keys: [GeneratedKey] = []
        for format in [nil, "PEM", "PKCS8"] as [String?] {
            keys.append(try make(dir, type: "rsa", bits: 2048, format: format))
            keys.append(try make(dir, type: "rsa", bits: 3072, format: format))
            for b in [256, 384, 521] { keys.append(try make(dir, type: "ecdsa", bits: b, format: format)) }
        }
        keys.append(try make(dir, type: "ed25519"))
        return keys
    }

    static func read(_ key: GeneratedKey, passphrase: String? = nil) throws -> PrivateKey {
        switch try PrivateKey.read(key.text, passphrase: (passphrase ?? key.passphrase).map { SecretBytes(string: $0) }) {
        case .key(let k): return k
        case .needsSSHAdd: throw SGError.malformedInput("unexpectedly needs ssh-add")
        }
    }
}

func assertMalformed(_ body: @autoclosure () throws -> Any, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), what, file: file, line: line) { error in
        guard case SGError.malformedInput = error else {
            XCTFail("\(what): expected malformedInput, got \(error)", file: file, line: line)
            return
        }
    }
}
