import SGCore
import XCTest

/// Wiping reaches the storage that held the secret, not a copy-on-write copy of it.
final class SecretBytesTests: XCTestCase {
    var missed: Int { SecretBytes.missedWipes.load(ordering: .relaxed) }

    /// `SecretBytes(string:)` copied the UTF-8 into an array, then wiped `var scratch = copied`:
    /// the two shared one buffer, so the wipe zeroed a fresh copy and freed the original as it was.
    func testStringInitLeavesNoUnwipedCopy() {
        let before = missed
        for value in ["", "hunter2", "pässwörd-秘密-🔑", String(repeating: "x", count: 70_000)] {
            let s = SecretBytes(string: value)
            XCTAssertEqual(s.unsafeString(), value)
            XCTAssertEqual(s.count, value.utf8.count)
        }
        XCTAssertEqual(missed, before, "a wipe inside SecretBytes(string:) zeroed a copy, not the secret")
    }

    func testWipeZeroesTheArraysOwnStorage() {
        var secret = [UInt8](repeating: 0x41, count: 64)
        let storage = secret.withUnsafeBytes { $0.baseAddress! }
        let before = missed
        SecretBytes.wipe(&secret)
        XCTAssertEqual(secret.withUnsafeBytes { $0.baseAddress! }, storage, "wiped in place, no copy")
        XCTAssertTrue(UnsafeRawBufferPointer(start: storage, count: 64).allSatisfy { $0 == 0 })
        XCTAssertEqual(missed, before)
    }

    /// The hazard `wipe` documents: a wipe through a copy that shares storage misses the secret.
    /// It is counted, so tests of the wipe sites can check that none happens.
    func testWipeThroughASharedCopyIsCountedAsMissed() {
        let original: [UInt8] = Array("s3cr3t".utf8)
        var copy = original
        let before = missed
        SecretBytes.wipe(&copy)
        XCTAssertEqual(missed, before + 1)
        XCTAssertEqual(original, Array("s3cr3t".utf8), "copy-on-write left the original untouched")
    }
}
