import Foundation
import XCTest
import SGCore
@testable import SGSSH
import SGTestSupport

final class KeyFileWriterTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestPaths.makeTempDir("sshwrite") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, path)
        return st.st_mode & 0o7777
    }

    func testWritesKey0600AndPub0644ThatSshKeygenReads() throws {
        let source = try KeyMaker.make(dir, type: "ed25519", comment: "orig")
        let k = try KeyMaker.read(source)
        let out = dir.appendingPathComponent("out/deploy").path
        try FileManager.default.createDirectory(atPath: dir.appendingPathComponent("out").path, withIntermediateDirectories: true)
        let old = umask(0)
        defer { umask(old) }
        try KeyFileWriter.write(source.text, to: out, publicKey: k.publicKey(comment: "sg:deploy"))
        XCTAssertEqual(mode(out), 0o600)
        XCTAssertEqual(mode(out + ".pub"), 0o644)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: source.path))
        let lf = try Command.run(["ssh-keygen", "-lf", out])
        XCTAssertTrue(lf.stdout.contains(k.publicKey.fingerprint), lf.stdout + lf.stderr)
        XCTAssertEqual(try String(contentsOfFile: out + ".pub", encoding: .utf8), k.publicKey(comment: "sg:deploy").authorizedKeysLine + "\n")
        // No temp files left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path).sorted(), ["deploy", "deploy.pub"])
    }

    func testReplacesAnExistingFileAtomicallyAndTightensItsMode() throws {
        let out = dir.appendingPathComponent("key").path
        _ = FileManager.default.createFile(atPath: out, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644])
        var before = stat(); lstat(out, &before)
        try KeyFileWriter.write(SecretBytes(string: "new key"), to: out, publicKey: nil)
        var after = stat(); lstat(out, &after)
        XCTAssertNotEqual(before.st_ino, after.st_ino, "replaced by rename, not rewritten in place")
        XCTAssertEqual(mode(out), 0o600)
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: out)!, as: UTF8.self), "new key")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".pub"))
    }

    func testRefusesASymlinkAtTheDestination() throws {
        let target = dir.appendingPathComponent("victim").path
        _ = FileManager.default.createFile(atPath: target, contents: Data("keep me".utf8))
        let link = dir.appendingPathComponent("key").path
        XCTAssertEqual(symlink(target, link), 0)
        XCTAssertThrowsError(try KeyFileWriter.write(SecretBytes(string: "secret"), to: link, publicKey: nil)) { e in
            XCTAssertTrue("\(e)".contains("symbolic link"), "\(e)")
        }
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: target)!, as: UTF8.self), "keep me")
        XCTAssertEqual(mode(link) & 0, 0)
        // A dangling link is refused too (it would create the target elsewhere).
        let dangling = dir.appendingPathComponent("dangling").path
        XCTAssertEqual(symlink(dir.appendingPathComponent("nowhere").path, dangling), 0)
        XCTAssertThrowsError(try KeyFileWriter.write(SecretBytes(string: "secret"), to: dangling, publicKey: nil))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("nowhere").path))
        // A folder at the destination is refused.
        XCTAssertThrowsError(try KeyFileWriter.write(SecretBytes(string: "secret"), to: dir.path, publicKey: nil))
    }

    func testAFailedWriteLeavesTheOldFile() throws {
        let out = dir.appendingPathComponent("key").path
        _ = FileManager.default.createFile(atPath: out, contents: Data("old".utf8))
        struct Boom: Error {}
        XCTAssertThrowsError(try KeyFileWriter.writeAtomically(path: out, mode: 0o600) { _ in throw Boom() })
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: out)!, as: UTF8.self), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["key"])
    }
}
