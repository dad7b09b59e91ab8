import SGCore
@testable import SGSafeguard
import XCTest

/// The two parsing layers of the A2A event stream: Server-Sent Events, then SignalR records.
final class EventStreamParserTests: XCTestCase {
    /// Feeds `chunks` through both layers and returns the messages.
    func parse(_ chunks: [[UInt8]]) throws -> [SignalRMessage] {
        var sse = ServerSentEvents()
        var records = SignalRRecords()
        var out: [SignalRMessage] = []
        for chunk in chunks {
            try chunk.withUnsafeBytes { raw in
                try sse.feed(raw) { data in try records.feed(data) { out.append($0) } }
            }
        }
        return out
    }

    func parse(_ text: String) throws -> [SignalRMessage] { try parse([Array(text.utf8)]) }

    let rs = "\u{1E}"

    func testHandshakeReplyAfterACommentLine() throws {
        XCTAssertEqual(try parse(":\r\n\r\ndata: {}\(rs)\r\n\r\n"), [.handshake(error: nil)])
        XCTAssertEqual(try parse("data: {\"error\":\"bad\"}\(rs)\n\n"), [.handshake(error: "bad")])
    }

    func testACRLFSplitBetweenTwoReadsIsOneLineEnd() throws {
        // "\r" ends one read, "\n" starts the next: one line end, not a line end plus a blank line
        // (which would end the event early and cut the record in two).
        let first = Array("data: {\"type\":\r".utf8)
        let second = Array("\ndata: 6}\(rs)\r\n\r\n".utf8)
        XCTAssertEqual(try parse([first, second]), [.ping])
    }

    func testARecordMaySpanEventsAndAnEventMayHoldSeveralRecords() throws {
        let text = "data: {\"type\":1,\"target\":\"NotifyEventAsync\",\n\ndata: \"arguments\":[{\"Name\":\"AssetAccountPasswordUpdated\"}]}\(rs){\"type\":6}\(rs){\"type\":6}\(rs)\n\n"
        XCTAssertEqual(try parse(text), [.event(name: "AssetAccountPasswordUpdated", kind: .password), .ping, .ping])
    }

    func testSeveralDataLinesAreJoinedWithANewline() throws {
        // JSON allows the newline between tokens: the record still parses.
        XCTAssertEqual(try parse("data: {\"type\":\ndata: 6}\(rs)\n\n"), [.ping])
    }

    func testANumericNameTakesTheNameFromDataEventName() throws {
        let asNumber = "data: {\"type\":1,\"target\":\"NotifyEventAsync\",\"arguments\":[{\"Name\":20101,\"Data\":{\"EventName\":\"AssetAccountSshKeyUpdated\"}}]}\(rs)\n\n"
        XCTAssertEqual(try parse(asNumber), [.event(name: "AssetAccountSshKeyUpdated", kind: .sshKey)])
        let asDigits = asNumber.replacingAll("20101", with: "\"20101\"")
        XCTAssertEqual(try parse(asDigits), [.event(name: "AssetAccountSshKeyUpdated", kind: .sshKey)])
    }

    func testNamesMatchWithoutRegardToCaseAndReceiveMessageIsAccepted() throws {
        let text = "data: {\"type\":1,\"target\":\"receivemessage\",\"arguments\":[{\"Name\":\"accountapikeysecretupdated\"}]}\(rs)\n\n"
        XCTAssertEqual(try parse(text), [.event(name: "accountapikeysecretupdated", kind: .apiKeySecret)])
    }

    func testUnknownEventsAndOtherTargetsAreNotFollowed() throws {
        let unknown = "data: {\"type\":1,\"target\":\"NotifyEventAsync\",\"arguments\":[{\"Name\":\"UserCreated\"}]}\(rs)\n\n"
        XCTAssertEqual(try parse(unknown), [.event(name: "UserCreated", kind: nil)])
        let other = "data: {\"type\":1,\"target\":\"SomethingElse\",\"arguments\":[{\"Name\":\"AssetAccountPasswordUpdated\"}]}\(rs)\n\n"
        XCTAssertEqual(try parse(other), [.otherInvocation(target: "SomethingElse")])
    }

    func testAnArgumentAsAJSONStringOrAMessageWrapperIsRead() throws {
        let string = "data: {\"type\":1,\"target\":\"NotifyEventAsync\",\"arguments\":[\"{\\\"Name\\\":\\\"AssetAccountPasswordUpdated\\\"}\"]}\(rs)\n\n"
        XCTAssertEqual(try parse(string), [.event(name: "AssetAccountPasswordUpdated", kind: .password)])
        let wrapped = "data: {\"type\":1,\"target\":\"NotifyEventAsync\",\"arguments\":[{\"Message\":{\"Name\":\"AssetAccountPasswordUpdated\"}}]}\(rs)\n\n"
        XCTAssertEqual(try parse(wrapped), [.event(name: "AssetAccountPasswordUpdated", kind: .password)])
    }

    func testCloseCarriesItsErrorWithControlCharactersEscaped() throws {
        XCTAssertEqual(try parse("data: {\"type\":7,\"error\":\"bye\\r\\n\\u001b[31m\"}\(rs)\n\n"), [.close(error: "bye\\x0d\\x0a\\x1b[31m")])
    }

    func testOtherFieldsAndEventsWithoutDataAreSkipped() throws {
        XCTAssertEqual(try parse("event: x\nid: 7\nretry: 10\n\n: comment\ndata:{\"type\":6}\(rs)\n\n"), [.ping])
    }

    func testAnOversizedLineOrRecordIsRefusedNotKept() throws {
        var sse = ServerSentEvents(limit: 64)
        let long = [UInt8](repeating: 0x41, count: 100)
        XCTAssertThrowsError(try long.withUnsafeBytes { try sse.feed($0) { _ in } })
        var records = SignalRRecords(limit: 64)
        XCTAssertThrowsError(try records.feed(long) { _ in })
    }

    func testARecordThatIsNotAJSONObjectIsAnError() {
        XCTAssertThrowsError(try parse("data: [1]\(rs)\n\n"))
        XCTAssertThrowsError(try parse("data: {\"type\":\"x\"}\(rs)\n\n"))
        XCTAssertThrowsError(try parse("data: nope\(rs)\n\n"))
    }

    func testTheKeyedDigestChangesWithTheValueAndIsNotAPlainHash() {
        let a = KeyedDigest.of(SecretBytes(string: "password1"))
        XCTAssertEqual(a, KeyedDigest.of(SecretBytes(string: "password1")))
        XCTAssertNotEqual(a, KeyedDigest.of(SecretBytes(string: "password2")))
        // SHA-256("password1"): the digest must not be it (it would give a weak value away).
        let sha = "0b14d501a594442a01c6859541bcb3e8164d183d32937b851835442f69d5c94e"
        XCTAssertNotEqual(a.map { String(format: "%02x", $0) }.joined(), sha)
    }
}
