import XCTest
@testable import SGCore

/// The `aws:` section of the config (docs/config.md), read by sg-aws-credential.
final class AWSConfigTests: XCTestCase {
    func testSecretNamesTheTwoFieldsOfAnAPIKeySecretAndExpiresInAnHour() throws {
        let p = try XCTUnwrap(try parseConfig("aws:\n  profiles:\n    prod: {secret: aws-prod}\n").aws.profiles["prod"])
        XCTAssertEqual(p.accessKeyID, .reference(.named("aws-prod", field: "ClientId")))
        XCTAssertEqual(p.secretAccessKey, .named("aws-prod", field: "ClientSecret"))
        XCTAssertNil(p.sessionToken)
        XCTAssertEqual(p.expiresIn, 3600)
        XCTAssertEqual(p.origin, "/etc/sg/test.yaml:4")
    }

    func testTwoReferencesALiteralKeyIDASessionTokenAndExpiresIn() throws {
        let c = try parseConfig("""
        aws:
          profiles:
            legacy:
              access-key-id: AKIAIOSFODNN7EXAMPLE
              secret-access-key: sg:legacy-aws
              session-token: sg:token/sim
              expires-in: 7200
            refs:
              access-key-id: sg:ids#KeyId
              secret-access-key: sg:keys#Secret
              expires-in: 0

        """)
        let legacy = try XCTUnwrap(c.aws.profiles["legacy"])
        XCTAssertEqual(legacy.accessKeyID, .literal("AKIAIOSFODNN7EXAMPLE"))
        XCTAssertEqual(legacy.secretAccessKey, .named("legacy-aws", field: nil))
        XCTAssertEqual(legacy.sessionToken, .token(profile: "sim"))
        XCTAssertEqual(legacy.expiresIn, 7200)
        let refs = try XCTUnwrap(c.aws.profiles["refs"])
        XCTAssertEqual(refs.accessKeyID, .reference(.named("ids", field: "KeyId")))
        XCTAssertNil(refs.expiresIn, "expires-in: 0 prints no Expiration")
    }

    func testSecretsWrittenInlineBadShapesAndShortLifetimesAreRefusedWithFileAndLine() throws {
        assertConfigRefuses([
            ("aws:\n  profiles:\n    p:\n      access-key-id: AKIAIOSFODNN7EXAMPLE\n      secret-access-key: wJalrXUtnFEMI/K7MDENG\n",
             "test.yaml:6: aws profile p: secret-access-key is a reference (sg:NAME or sg:NAME#FIELD), never the secret itself"),
            ("aws:\n  profiles:\n    p:\n      secret: x\n      session-token: FwoGZXIvYXdz\n", "session-token is a reference"),
            ("aws:\n  profiles:\n    p:\n      access-key-id: akia-lower\n      secret-access-key: sg:k\n", "access-key-id is a reference or an id like"),
            ("aws:\n  profiles:\n    p:\n      access-key-id: sg:bad name\n      secret-access-key: sg:k\n", "test.yaml:5: aws profile p: access-key-id: bad reference"),
            ("aws:\n  profiles:\n    p: {secret: x, secret-access-key: sg:k}\n", "give either secret or access-key-id + secret-access-key"),
            ("aws:\n  profiles:\n    p: {secret: \"sg:x\"}\n", "secret names an api-key-secret"),
            ("aws:\n  profiles:\n    p: {secret-access-key: sg:k}\n", "needs 'secret: NAME'"),
            ("aws:\n  profiles:\n    p: {secret: x, expires-in: 600}\n", "expires-in is 0 (no Expiration) or seconds from 1800 to 43200"),
            ("aws:\n  profiles:\n    p: {secret: x, expires-in: 1799}\n", "seconds from 1800"),
            ("aws:\n  profiles:\n    p: {secret: x, expires-in: 1h}\n", "seconds from 1800"),
            ("aws:\n  profiles:\n    p: {secret: x, region: eu-west-1}\n", "unknown key 'region' in aws profile p"),
            ("aws:\n  profiles:\n    \"bad name\": {secret: x}\n", "bad name 'bad name' in aws.profiles"),
            ("aws:\n  profile: {}\n", "unknown key 'profile' in aws"),
            ("aws: [x]\n", "aws must be a mapping"),
        ], neverShowing: "wJalrXUtnFEMI")
    }

    func testUserFileProfilesReplaceTheSystemFilesByName() throws {
        var system = try parseConfig("aws:\n  profiles:\n    a: {secret: sys-a}\n    b: {secret: sys-b}\n")
        system.merge(try parseConfig("aws:\n  profiles:\n    b: {secret: user-b}\n"))
        XCTAssertEqual(system.aws.profiles["a"]?.secretAccessKey, .named("sys-a", field: "ClientSecret"))
        XCTAssertEqual(system.aws.profiles["b"]?.secretAccessKey, .named("user-b", field: "ClientSecret"))
    }
}
