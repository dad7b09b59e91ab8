import SGCore
import Foundation
import XCTest

final class GitCredentialProtocolTests: XCTestCase {
    func parse(_ text: String) throws -> GitCredential {
        try Array(text.utf8).withUnsafeBytes { try GitCredential.parse($0) }
    }

    func read(_ text: String) throws -> GitCredential {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }, bytes.count)
        close(fds[1])
        defer { close(fds[0]) }
        return try GitCredential.read(fd: fds[0])
    }

    func testExpiryOutsideAnyDateIsNoExpiry() throws {
        XCTAssertEqual(try parse("password_expiry_utc=1700000000\n").passwordExpiryUTC, 1_700_000_000)
        for bad in ["9223372036854775807", "99999999999999999999", "253402300800", "0", "-5", "1e9", "inf", ""] {
            XCTAssertNil(try parse("password_expiry_utc=\(bad)\n").passwordExpiryUTC, bad)
        }
        XCTAssertNil(GitCredential.expiry(seconds: 9.3e18))
        XCTAssertNil(GitCredential.expiry(seconds: .infinity))
        XCTAssertNil(GitCredential.expiry(seconds: .nan))
        XCTAssertEqual(GitCredential.expiry(seconds: 1_700_000_000.9), 1_700_000_000)
    }

    func testReadsKnownAttributesAndIgnoresOthers() throws {
        let c = try parse("protocol=https\nhost=git.corp:8443\npath=team/repo.git\nusername=bob\npassword=a=b c\nwwwauth[]=Basic\nnew_thing=1\n\n")
        XCTAssertEqual(c.protocol, "https")
        XCTAssertEqual(c.host, "git.corp:8443")
        XCTAssertEqual(c.hostName, "git.corp")
        XCTAssertEqual(c.port, 8443)
        XCTAssertEqual(c.path, "team/repo.git")
        XCTAssertEqual(c.username, "bob")
        XCTAssertEqual(c.password?.unsafeString(), "a=b c")
        XCTAssertEqual(c.url, "https://git.corp:8443/team/repo.git")
    }

    func testCRLFAndMissingBlankLineAndStopAtBlankLine() throws {
        let c = try parse("protocol=https\r\nhost=h\r\n")
        XCTAssertEqual(c.host, "h")
        let d = try parse("protocol=https\n\nhost=h\n")
        XCTAssertNil(d.host)
        XCTAssertNil(try parse("").protocol)
        XCTAssertEqual(try read("protocol=https\nhost=h").host, "h")
        XCTAssertEqual(try read("protocol=https\r\nhost=h\r\n\r\nhost=x\n").host, "h")
    }

    func testURLFormClearsEarlierAttributes() throws {
        let c = try parse("username=old\nhost=old\nurl=https://al%69ce:pw@Host.example:444/a/b.git\n")
        XCTAssertEqual(c.protocol, "https")
        XCTAssertEqual(c.host, "Host.example:444")
        XCTAssertEqual(c.hostName, "host.example")
        XCTAssertEqual(c.username, "alice")
        XCTAssertEqual(c.password?.unsafeString(), "pw")
        XCTAssertEqual(c.path, "a/b.git")
        XCTAssertNil(try parse("url=https://h\n").path)
        XCTAssertThrowsError(try parse("url=no-scheme\n"))
    }

    func testMalformedInput() throws {
        for bad in ["protocol=https\njunk\n", "host=a\u{0}b\n", "wwwauth[]=" + String(repeating: "x", count: 65536) + "\n"] {
            XCTAssertThrowsError(try parse(bad)) { XCTAssertEqual(($0 as? SGError)?.exitCode, .dataError) }
        }
        XCTAssertNoThrow(try parse("wwwauth[]=" + String(repeating: "x", count: 65000) + "\n"))
    }

    func testIPv6HostSplitting() {
        XCTAssertEqual(GitCredential.split(host: "[::1]:8080").name, "[::1]")
        XCTAssertEqual(GitCredential.split(host: "[::1]:8080").port, 8080)
        XCTAssertNil(GitCredential.split(host: "[::1]").port)
        XCTAssertEqual(GitCredential.split(host: "Example.COM").name, "example.com")
    }

    func testAnswerEncodingAndRefusal() throws {
        let a = GitCredential.Answer(username: "u", password: SecretBytes(string: "p w"), passwordExpiryUTC: 42)
        XCTAssertEqual(try a.encoded().unsafeString(), "username=u\npassword=p w\npassword_expiry_utc=42\n")
        XCTAssertEqual(try GitCredential.Answer(username: nil, password: SecretBytes(string: "")).encoded().unsafeString(), "password=\n")
        for bad in ["a\nusername=x", "a\rb", "a\u{0}b"] {
            XCTAssertThrowsError(try GitCredential.Answer(username: "u", password: SecretBytes(string: bad)).encoded()) {
                XCTAssertEqual(($0 as? SGError)?.exitCode, .dataError)
                XCTAssertFalse("\($0)".contains("username=x"))
            }
        }
        XCTAssertThrowsError(try GitCredential.Answer(username: "u\nhost=evil", password: SecretBytes(string: "p")).encoded())
    }
}
