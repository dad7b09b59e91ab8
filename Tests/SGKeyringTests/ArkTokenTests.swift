import XCTest
import SGCore
@testable import SGKeyring

/// ArkToken JSON as ark-sdk-python 2.1.4 writes and reads it.
final class ArkTokenTests: XCTestCase {
    /// The plaintext observed in reference §5.2, byte for byte.
    static let arkJSON = #"{"token":"eyJhbGciOiJSUzI1NiJ9.test-access-token.sig","username":"alice@example.cyberark.cloud","endpoint":"https://abc1234.id.cyberark.cloud","token_type":"JSON Web Token","auth_method":"identity","expires_in":"2030-01-02T03:04:05.678901","refresh_token":"test-refresh-token","metadata":{"env":"prod","cookies":"Y29va2llcw==\n"},"origin_verify":null}"#

    func testArkWrittenTokenRoundTripsByteForByte() throws {
        let token = try ArkToken.parse(SecretBytes(string: Self.arkJSON))
        XCTAssertEqual(token.token.unsafeString(), "eyJhbGciOiJSUzI1NiJ9.test-access-token.sig")
        XCTAssertEqual(token.tokenType, .jwt)
        XCTAssertEqual(token.authMethod, .identity)
        XCTAssertEqual(token.refreshToken?.unsafeString(), "test-refresh-token")
        XCTAssertEqual(ArkDate.format(token.expiresIn!), "2030-01-02T03:04:05.678901")
        XCTAssertEqual(token.serialized().unsafeString(), Self.arkJSON)
    }

    func testNullsAreWrittenAndKeysKeepArkOrder() {
        let t = ArkToken(token: SecretBytes(string: "t"))
        XCTAssertEqual(t.serialized().unsafeString(),
                       #"{"token":"t","username":null,"endpoint":null,"token_type":"JSON Web Token","auth_method":null,"expires_in":null,"refresh_token":null,"metadata":{},"origin_verify":null}"#)
    }

    func testExpiresWithoutMicrosecondsHasNoFraction() {
        let d = ArkDate.parse("2030-01-02T03:04:05")!
        XCTAssertEqual(ArkDate.format(d), "2030-01-02T03:04:05")
    }

    func testAliasKeysAreAccepted() throws {
        let json = #"{"Token":"abc","Username":"bob","Authentication Endpoint":"https://x","Token Type":"Internal","Authentication Method":"other","Expires In":"2030-01-02 03:04:05","Refresh Token":"r","Token Metadata":{"a":1},"Origin Verify":"o"}"#
        let t = try ArkToken.parse(SecretBytes(string: json))
        XCTAssertEqual(t.token.unsafeString(), "abc")
        XCTAssertEqual(t.username, "bob")
        XCTAssertEqual(t.endpoint, "https://x")
        XCTAssertEqual(t.tokenType, .internal)
        XCTAssertEqual(t.authMethod, .other)
        XCTAssertEqual(ArkDate.format(t.expiresIn!), "2030-01-02T03:04:05")
        XCTAssertEqual(t.originVerify, "o")
        XCTAssertEqual(t.metadata.first?.0, "a")
    }

    func testDatetimeFormsPydanticAccepts() {
        let utc = Instant(timeIntervalSince1970: 1893553445)   // 2030-01-02T03:04:05Z
        XCTAssertEqual(ArkDate.parse(.text("2030-01-02T03:04:05Z")), utc)
        XCTAssertEqual(ArkDate.parse(.text("2030-01-02T05:04:05+02:00")), utc)
        XCTAssertEqual(ArkDate.parse(.text("2030-01-02T05:04:05+0200")), utc)
        XCTAssertEqual(ArkDate.parse(.number("1893553445")), utc)
        XCTAssertEqual(ArkDate.parse(.number("1893553445000")), utc)
        XCTAssertEqual(ArkDate.parse(.text("1893553445")), utc)
        XCTAssertNotNil(ArkDate.parse(.text("2030-01-02 03:04:05.5")))
        XCTAssertNotNil(ArkDate.parse(.text("2030-01-02")))
        XCTAssertNil(ArkDate.parse(.text("tomorrow")))
        XCTAssertNil(ArkDate.parse(.text("2030-13-02T03:04:05")))
        XCTAssertNil(ArkDate.parse(.bool(true)))
    }

    func testWhatPydanticRejectsIsInvalid() {
        for bad in [#"{"token_type":"JSON Web Token"}"#, #"{"token":"x","token_type":"jwt"}"#,
                    #"{"token":"x","auth_method":"password"}"#, "not json", #"["token"]"#,
                    #"{"token":"x","expires_in":"soon"}"#] {
            XCTAssertThrowsError(try ArkToken.parse(SecretBytes(string: bad)), bad)
        }
    }

    func testCamelCaseKeysAreIgnoredLikeArk() throws {
        let t = try ArkToken.parse(SecretBytes(string: #"{"token":"x","expiresIn":"2030-01-02T03:04:05"}"#))
        XCTAssertNil(t.expiresIn)
    }

    func testTokenTypeAndAuthMethodValues() {
        XCTAssertEqual(ArkTokenType.allCases.map(\.rawValue), ["JSON Web Token", "Cookies", "Token", "Password", "Custom", "Internal"])
        XCTAssertEqual(ArkAuthMethod.allCases.map(\.rawValue), ["identity", "identity_service_user", "direct", "default", "other"])
    }

    func testDescriptionNeverShowsTheToken() {
        let t = ArkToken(token: SecretBytes(string: "very-secret"), refreshToken: SecretBytes(string: "also-secret"))
        XCTAssertFalse("\(t)".contains("secret"))
    }

    func testJSONEscapingMatchesPydantic() throws {
        let v = JSONValue.object([("k", .text("a\"b\\c/d\n\u{01}é\u{08}\u{0C}"))])
        XCTAssertEqual(v.serialized().unsafeString(), #"{"k":"a\"b\\c/d\n\u0001é\b\f"}"#)
        XCTAssertEqual(try JSONValue.parse(v.serialized()).serialized().unsafeString(), v.serialized().unsafeString())
    }
}
