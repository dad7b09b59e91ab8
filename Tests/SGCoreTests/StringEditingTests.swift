import SGCore
import XCTest

/// The byte-level text helpers every module uses (issue 13 items 13 and 14).
final class StringEditingTests: XCTestCase {
    func testTrimmingWorksOnBytesSoCRLFIsTrimmed() {
        XCTAssertEqual("value\r\n".trimmingASCIIWhitespace(), "value", "\"\\r\\n\" is one Character but two bytes")
        XCTAssertEqual("\r\n\t value \t\r\n".trimmingASCIIWhitespace(), "value")
        XCTAssertEqual("a \r\n b".trimmingASCIIWhitespace(), "a \r\n b", "only the ends")
        XCTAssertEqual(" \r\n\t".trimmingASCIIWhitespace(), "")
        XCTAssertEqual("".trimmingASCIIWhitespace(), "")
        XCTAssertEqual(" é ".trimmingASCIIWhitespace(), "é")
        XCTAssertEqual("\u{A0}x\u{A0}".trimmingASCIIWhitespace(), "\u{A0}x\u{A0}", "ASCII whitespace only")
    }

    func testControlCharactersAreFoundOnBytes() {
        XCTAssertTrue("a\r\nb".containsControlCharacters)
        XCTAssertTrue("a\u{1B}[2J".containsControlCharacters)
        XCTAssertTrue("a\u{0}".containsControlCharacters)
        XCTAssertTrue("a\tb".containsControlCharacters)
        XCTAssertTrue("a\u{7F}".containsControlCharacters)
        XCTAssertTrue("a\u{9B}31m".containsControlCharacters, "C1 CSI")
        XCTAssertFalse("pässwörd-秘密-🔑 'x' (y)".containsControlCharacters)
        XCTAssertFalse("\u{A0}\u{100}\u{202F}".containsControlCharacters, "C2 A0 and C4 80 are not C1")
    }

    func testEscapingLeavesNoControlCharacterAndIsIdempotent() {
        let hostile = "Denied\u{1B}[2J\u{1B}[31mroot@host:~# \r\nfake line\u{7}\u{9B}1m\u{202E}txt.exe\u{2066}"
        let escaped = hostile.escapingControlCharacters()
        XCTAssertEqual(escaped, "Denied\\x1B[2J\\x1B[31mroot@host:~# \\r\\nfake line\\x07\\u{009B}1m\\u{202E}txt.exe\\u{2066}")
        XCTAssertFalse(escaped.containsControlCharacters)
        XCTAssertEqual(escaped.escapingControlCharacters(), escaped)
        XCTAssertEqual("plain text, é, 秘密, C:\\path".escapingControlCharacters(), "plain text, é, 秘密, C:\\path")
        XCTAssertEqual("\t\u{0}".escapingControlCharacters(), "\\t\\x00")
    }

    func testErrorMessagesAreEscapedWhereTheyAreRendered() {
        let fromServer = "403 (60108: \u{1B}]0;pwned\u{7}\u{1B}[2J\r\nsg-secret: all good)"
        for error in [SGError.denied(fromServer), .unexpectedResponse(fromServer), .config(fromServer), .unknownSecret(fromServer),
                      .unsafePermissions(path: "/tmp/\u{1B}[2J", problem: fromServer, fix: "chmod 600 x")] {
            XCTAssertFalse(error.message.containsControlCharacters, error.message)
            XCTAssertTrue(error.message.contains("\\x1B[2J"), error.message)
            XCTAssertEqual(error.description, error.message)
        }
    }
}
