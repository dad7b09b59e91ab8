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

    // MARK: both files or neither (issue 13, item 16)

    func testASymlinkWherePubGoesLeavesNeitherFile() throws {
        let source = try KeyMaker.make(dir, type: "ed25519", comment: "orig")
        let k = try KeyMaker.read(source)
        let out = dir.appendingPathComponent("k4").path
        XCTAssertEqual(symlink(dir.appendingPathComponent("victim").path, out + ".pub"), 0)
        XCTAssertThrowsError(try KeyFileWriter.write(source.text, to: out, publicKey: k.publicKey(comment: "sg:k4"))) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .ioError)
            XCTAssertTrue("\(e)".contains("\(out).pub: it is a symbolic link"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "the private key was not written without its .pub")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("victim").path))
        // An older key at the destination is kept as it was.
        _ = FileManager.default.createFile(atPath: out, contents: Data("old key".utf8), attributes: [.posixPermissions: 0o600])
        XCTAssertThrowsError(try KeyFileWriter.write(source.text, to: out, publicKey: k.publicKey(comment: "sg:k4")))
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: out)!, as: UTF8.self), "old key")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("k4") || $0.hasPrefix(".k4") }.sorted(),
                       ["k4", "k4.pub"], "no temporary files left")
    }

    /// The second rename fails (its destination became a folder after the checks): the first
    /// file is put back as it was, or removed if it is new.
    func testAFailedSecondRenameRollsBackTheFirst() throws {
        let a = dir.appendingPathComponent("a").path
        let b = dir.appendingPathComponent("b").path
        let fresh = dir.appendingPathComponent("fresh").path
        _ = FileManager.default.createFile(atPath: a, contents: Data("old a".utf8))
        func blockB(_ fd: Int32) throws {
            try FileManager.default.createDirectory(atPath: b + "/inside", withIntermediateDirectories: true)
        }
        func fill(_ text: String) -> (Int32) throws -> Void {
            { fd in try Array(text.utf8).withUnsafeBytes { try WriteAll.write($0, to: fd) } }
        }
        XCTAssertThrowsError(try KeyFileWriter.writeAtomically([.init(path: a, mode: 0o600, fill: fill("new a")),
                                                                .init(path: b, mode: 0o644, fill: blockB)])) { e in
            XCTAssertTrue("\(e)".contains("cannot replace \(b)"), "\(e)")
        }
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: a)!, as: UTF8.self), "old a")
        try FileManager.default.removeItem(atPath: b)
        XCTAssertThrowsError(try KeyFileWriter.writeAtomically([.init(path: fresh, mode: 0o600, fill: fill("new")),
                                                                .init(path: b, mode: 0o644, fill: blockB)]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["a", "b"], "no temporary or backup files left")
    }
}
