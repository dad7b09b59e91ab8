import Foundation
import SGTestSupport
import XCTest

/// sg-aws-credential as the real AWS CLI v2 (Debian's awscli, /usr/bin/aws) runs it: a profile
/// with `credential_process` resolves, through `aws configure export-credentials`, to the access
/// key pair held in sg-sim.
final class AWSCredentialTests: SimCase {
    /// Debian's AWS CLI v2 (scripts/bootstrap installs awscli). Called by path: an older
    /// pip-installed `aws` earlier on PATH lacks export-credentials.
    static let aws = "/usr/bin/aws"
    var env: ToolEnvironment!

    override func setUpWithError() throws {
        try super.setUpWithError()
        env = try ToolEnvironment.forHostTool(Self.aws, sim: simulator, label: "aws", section: """
        aws:
          profiles:
            prod: {secret: api-ci}
            legacy:
              access-key-id: AKIAIOSFODNN7EXAMPLE
              secret-access-key: sg:quote-pw
              session-token: sg:unicode-pw
              expires-in: 7200
            wrong: {secret: demo-db}

        """)
        let bin = TestPaths.binary("sg-aws-credential")
        let awsConfig = env.home.appendingPathComponent("aws-config")
        try """
        [profile prod]
        credential_process = \(bin) --profile prod
        [profile legacy]
        credential_process = \(bin) legacy
        [profile missing]
        credential_process = \(bin) --profile nope
        [profile wrong]
        credential_process = \(bin) --profile wrong

        """.write(to: awsConfig, atomically: true, encoding: .utf8)
        env.extra["AWS_CONFIG_FILE"] = awsConfig.path
        env.extra["AWS_SHARED_CREDENTIALS_FILE"] = env.home.appendingPathComponent("no-credentials").path
        env.extra["AWS_EC2_METADATA_DISABLED"] = "true"   // never a metadata-service request off this machine
        env.extra["AWS_PAGER"] = ""
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    func exportCredentials(_ profile: String) throws -> ToolRun {
        try env.run([Self.aws, "configure", "export-credentials", "--profile", profile, "--format", "process"], timeout: 120)
    }

    /// The first entry of the seeded api-key-secret, from the sim's own state (not through sg).
    func apiCIEntry() throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: ready.stateDir).appendingPathComponent("catalogue.json"))
        let catalogue = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap((catalogue["apiKeyEntries"] as? [[String: String]])?.first)
    }

    func document(_ run: ToolRun) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], run.stdoutText)
    }

    func expiration(_ doc: [String: Any]) throws -> Date {
        let text = try XCTUnwrap(doc["Expiration"] as? String)
        return try XCTUnwrap(ISO8601DateFormatter().date(from: text), text)
    }

    func testAWSCLIGetsTheAccessKeyPairOfAnAPIKeySecretWithAnExpirationAnHourAhead() throws {
        let entry = try apiCIEntry()
        let started = Date()
        let r = try exportCredentials("prod")
        XCTAssertEqual(r.status, 0, r.stderrText)
        let doc = try document(r)
        XCTAssertEqual(doc["Version"] as? Int, 1)
        XCTAssertEqual(doc["AccessKeyId"] as? String, entry["ClientId"])
        XCTAssertEqual(doc["SecretAccessKey"] as? String, entry["ClientSecret"])
        XCTAssertNil(doc["SessionToken"])
        let expires = try expiration(doc)
        XCTAssertGreaterThan(expires.timeIntervalSince(started), 3600 - 5)
        XCTAssertLessThan(expires.timeIntervalSince(started), 3600 + 120)
    }

    func testALiteralKeyIDAndTwoPasswordsWithQuotesAndUnicodeReachBotocoreByteExact() throws {
        let r = try exportCredentials("legacy")
        XCTAssertEqual(r.status, 0, r.stderrText)
        let doc = try document(r)
        XCTAssertEqual(doc["AccessKeyId"] as? String, "AKIAIOSFODNN7EXAMPLE")
        XCTAssertEqual(doc["SecretAccessKey"] as? String, ready.passwords["quote-pw"])
        XCTAssertEqual(doc["SessionToken"] as? String, ready.passwords["unicode-pw"])
        XCTAssertGreaterThan(try expiration(doc).timeIntervalSinceNow, 7200 - 120)
    }

    func testAProfileSgDoesNotKnowFailsInTheCLIWithSgsMessageAndNoSecret() throws {
        let r = try exportCredentials("missing")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stdout.count, 0, r.stdoutText)
        XCTAssertTrue(r.stderrText.contains("sg-aws-credential: config: no aws profile 'nope' (defined: legacy, prod, wrong)"), r.stderrText)
        XCTAssertEqual(LeakCheck(simulator: ready).check(r), [])
    }

    /// A profile that names a password (no ClientId field) fails before printing anything.
    func testAProfileOverAPasswordSecretFailsWith67AndPrintsNothing() throws {
        let direct = try env.run(["sg-aws-credential", "--profile", "wrong"])
        XCTAssertEqual(direct.status, 67, direct.stderrText)
        XCTAssertEqual(direct.stdout.count, 0)
        XCTAssertEqual(direct.stderrText, "sg-aws-credential: bad reference: sg:demo-db#ClientSecret: only api-key-secret secrets have fields\n")
        let r = try exportCredentials("wrong")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderrText.contains("only api-key-secret secrets have fields"), r.stderrText)
    }

    func testDirectRunPrintsOnlyTheDocumentAndUsageErrorsExit64() throws {
        let r = try env.run(["sg-aws-credential", "--profile=prod"])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stderr.count, 0, r.stderrText)
        XCTAssertTrue(r.stdoutText.hasPrefix("{\"Version\":1,\"AccessKeyId\":\"ci-client-1\",\"SecretAccessKey\":\""), r.stdoutText)
        XCTAssertTrue(r.stdoutText.hasSuffix("Z\"}\n"), r.stdoutText)
        for args in [[], ["--profile"], ["--region", "eu-west-1"], ["a", "b"]] {
            let u = try env.run(["sg-aws-credential"] + args)
            XCTAssertEqual(u.status, 64, "\(args): \(u.stderrText)")
            XCTAssertEqual(u.stdout.count, 0)
            XCTAssertEqual(u.stderrText.split(separator: "\n").count, 1, u.stderrText)
        }
        let help = try env.run(["sg-aws-credential", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertEqual(help.stdout.count, 0, "help goes to stderr: stdout is the protocol's")
        XCTAssertTrue(help.stderrText.contains("credential_process = /usr/bin/sg-aws-credential --profile prod"), help.stderrText)
    }
}
