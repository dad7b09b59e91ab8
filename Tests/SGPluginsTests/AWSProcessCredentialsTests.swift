import SGCore
import SGResolver
import SGTestSupport
import XCTest
@testable import SGPlugins

/// What sg-aws-credential prints for AWS `credential_process`, and how it fetches it.
final class AWSProcessCredentialsTests: SimCase {
    let expiry = Instant(timeIntervalSince1970: 1_800_000_000)

    func text(_ creds: AWSProcessCredentials) throws -> String { try creds.json().unsafeString() }

    func testDocumentIsVersion1WithTheMembersInAWSOrderAndAnRFC3339Expiration() throws {
        let creds = AWSProcessCredentials(profile: "p", accessKeyID: SecretBytes(string: "AKIAIOSFODNN7EXAMPLE"),
                                          secretAccessKey: SecretBytes(string: "wJalrXUtnFEMI/K7MDENG"),
                                          sessionToken: SecretBytes(string: "FwoGZXIvYXdz"), expiration: expiry)
        XCTAssertEqual(try text(creds), #"{"Version":1,"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG","SessionToken":"FwoGZXIvYXdz","Expiration":"2027-01-15T08:00:00Z"}"#)
        let bare = AWSProcessCredentials(profile: "p", accessKeyID: SecretBytes(string: "AKIA"), secretAccessKey: SecretBytes(string: "k"))
        XCTAssertEqual(try text(bare), #"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"k"}"#, "no token, no Expiration: the members are left out")
    }

    func testQuotesBackslashesControlBytesAndUnicodeAreEscapedAndParseBack() throws {
        let raw = "q\"u\\o/te\n\r\t\u{01}\u{7F}-pässwörd-🔑"
        let creds = AWSProcessCredentials(profile: "p", accessKeyID: SecretBytes(string: "AKIA"), secretAccessKey: SecretBytes(string: raw))
        let json = try text(creds)
        XCTAssertTrue(json.contains(#""SecretAccessKey":"q\"u\\o/te\n\r\t\u0001"#), json)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["SecretAccessKey"] as? String, raw)
        XCTAssertEqual(parsed?["Version"] as? Int, 1)
    }

    func testEmptyOrNonUTF8ValuesAreRefusedWithExit76AndNoValue() throws {
        let empty = AWSProcessCredentials(profile: "p", accessKeyID: SecretBytes(string: "AKIA"), secretAccessKey: SecretBytes(bytes: []))
        let e = assertSGError(.protocolError, try empty.json())
        XCTAssertEqual(e?.message, "unexpected response: aws profile p: the SecretAccessKey fetched is empty (is it set in Safeguard?)")
        let binary = AWSProcessCredentials(profile: "p", accessKeyID: SecretBytes(string: "AKIA"), secretAccessKey: SecretBytes(string: "k"),
                                           sessionToken: SecretBytes(bytes: [0x73, 0x65, 0x63, 0xFF]))
        let b = assertSGError(.protocolError, try binary.json())
        XCTAssertEqual(b?.message, "unexpected response: aws profile p: the SessionToken fetched is not UTF-8 text")
    }

    /// The seeded api-key-secret `api-ci` holds an access key pair in ClientId/ClientSecret: both
    /// come from one A2A call, and Expiration is now + expires-in.
    func testAPIKeySecretFieldsAreOneFetchAndExpireAnHourFromNow() throws {
        var config = try self.config()
        config.aws.profiles["prod"] = AWSProfile(name: "prod", accessKeyID: .reference(.named("api-ci", field: "ClientId")),
                                                 secretAccessKey: .named("api-ci", field: "ClientSecret"))
        let resolver = try ToolContext.resolver(config: config)
        let whole = try resolver.resolve(.named("api-ci", field: "json"))
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(whole.value.unsafeString().utf8)) as? [[String: Any]]).first
        try simulator.post("/admin/reset-log")
        let now = Instant.now
        let creds = try AWSProcessCredentials.resolve(try XCTUnwrap(config.aws.profiles["prod"]), with: resolver, now: now)
        XCTAssertEqual(creds.accessKeyID.unsafeString(), first?["ClientId"] as? String)
        XCTAssertEqual(creds.secretAccessKey.unsafeString(), first?["ClientSecret"] as? String)
        XCTAssertNil(creds.sessionToken)
        XCTAssertEqual(creds.expiration, now.addingTimeInterval(3600))
        XCTAssertEqual(try simulator.log().filter { $0.path.lowercased().contains("/a2a/") }.count, 1, "one A2A call for both fields")
    }

    func testLiteralKeyIDSessionTokenAndNoExpiration() throws {
        var profile = AWSProfile(name: "legacy", accessKeyID: .literal("AKIAIOSFODNN7EXAMPLE"), secretAccessKey: .named("demo-db", field: nil))
        profile.sessionToken = .named("quote-pw", field: nil)
        profile.expiresIn = nil
        let creds = try AWSProcessCredentials.resolve(profile, with: try ToolContext.resolver(config: try config()))
        XCTAssertEqual(creds.accessKeyID.unsafeString(), "AKIAIOSFODNN7EXAMPLE")
        XCTAssertEqual(creds.secretAccessKey.unsafeString(), ready.passwords["demo-db"])
        XCTAssertEqual(creds.sessionToken?.unsafeString(), ready.passwords["quote-pw"])
        XCTAssertNil(creds.expiration)
    }

    func testAnUnknownSecretIsExit67AndAFieldOfAPasswordIs67() throws {
        let resolver = try ToolContext.resolver(config: try config())
        let unknown = AWSProfile(name: "p", accessKeyID: .literal("AKIAIOSFODNN7EXAMPLE"), secretAccessKey: .named("no-such", field: nil))
        assertSGError(.unknownSecret, try AWSProcessCredentials.resolve(unknown, with: resolver))
        let fieldOfPassword = AWSProfile(name: "p", accessKeyID: .reference(.named("demo-db", field: "ClientId")),
                                         secretAccessKey: .named("demo-db", field: "ClientSecret"))
        assertSGError(.unknownSecret, try AWSProcessCredentials.resolve(fieldOfPassword, with: resolver))
    }
}
