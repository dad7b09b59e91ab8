import SGCore
@testable import SGTools
import XCTest

final class OutputMaskerTests: XCTestCase {
    private func run(_ secrets: [String], _ chunks: [String]) -> String {
        let m = OutputMasker(secrets: secrets.map { SecretBytes(string: $0) })
        var out: [UInt8] = []
        for c in chunks { out += m.feed(Array(c.utf8)) }
        out += m.finish()
        return String(decoding: out, as: UTF8.self)
    }

    func testWholeValueInOneRead() {
        XCTAssertEqual(run(["s3cret"], ["pw=s3cret!\n"]), "pw=<concealed by sg>!\n")
    }

    func testValueSplitByteByByte() {
        let text = "before s3cret after s3cre"
        XCTAssertEqual(run(["s3cret"], text.map(String.init)), "before <concealed by sg> after s3cre")
    }

    func testHoldsAtMostMaxLenMinusOne() {
        let m = OutputMasker(secrets: [SecretBytes(string: "abcdef")])
        XCTAssertEqual(m.feed(Array("xxabcde".utf8)), Array("xx".utf8))
        XCTAssertEqual(m.pending, 5)
        XCTAssertEqual(m.feed(Array("Z".utf8)), Array("abcdeZ".utf8), "not a secret after all: released")
        XCTAssertEqual(m.pending, 0)
    }

    func testLongerValueContainingShorterIsConcealedWhole() {
        XCTAssertEqual(run(["abc", "abcdef"], ["xabc", "def abc."]), "x<concealed by sg> <concealed by sg>.")
    }

    func testOverlappingPrefixRestarts() {
        XCTAssertEqual(run(["aab"], ["a", "a", "a", "b"]), "a<concealed by sg>")
    }

    func testMultibyteAndRepeated() {
        XCTAssertEqual(run(["pässwörd-秘密-🔑"], ["x pässw", "örd-秘", "密-🔑 y pässwörd-秘密-🔑"]),
                       "x <concealed by sg> y <concealed by sg>")
    }

    func testFlushReleasesHeldPrefix() {
        let m = OutputMasker(secrets: [SecretBytes(string: "secret")])
        XCTAssertEqual(m.feed(Array("Password: sec".utf8)), Array("Password: ".utf8))
        XCTAssertEqual(m.flush(), Array("sec".utf8))
    }

    func testNoSecretsPassesThrough() {
        XCTAssertEqual(run([], ["a", "b"]), "ab")
        XCTAssertEqual(run([""], ["a", "b"]), "ab")
    }

    /// A duplicate value was wiped through `var b = bytes` (shared storage: the wipe hit a copy), and
    /// `flush` wiped the held-back tail through a copy as well.
    func testEveryWipeReachesTheSecretsOwnStorage() {
        let before = SecretBytes.missedWipes.load(ordering: .relaxed)
        XCTAssertEqual(run(["secret", "secret", "other"], ["a sec", "ret and sec"]), "a <concealed by sg> and sec")
        XCTAssertEqual(SecretBytes.missedWipes.load(ordering: .relaxed), before, "a wipe zeroed a copy, not the secret")
    }
}
