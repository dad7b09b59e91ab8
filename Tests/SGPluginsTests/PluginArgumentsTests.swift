import SGCore
import XCTest
@testable import SGPlugins

/// The plugins' hand-parsed command lines: what the host tools pass, and exit 64 for the rest.
final class PluginArgumentsTests: XCTestCase {
    func usageError(_ body: @autoclosure () throws -> Any, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? SGError)?.exitCode, .usage, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
        }
    }

    func testAWSProfileIsAnOptionOrPositionalOnce() throws {
        XCTAssertEqual(try AWSCredentialTool.parse(["--profile", "prod"]), .value("prod"))
        XCTAssertEqual(try AWSCredentialTool.parse(["--profile=prod.eu-1"]), .value("prod.eu-1"))
        XCTAssertEqual(try AWSCredentialTool.parse(["prod"]), .value("prod"))
        XCTAssertEqual(try AWSCredentialTool.parse(["prod", "--help"]), .help)
        XCTAssertEqual(try AWSCredentialTool.parse(["-h"]), .help)
    }

    func testAWSArgumentErrorsAreUsage64() {
        usageError(try AWSCredentialTool.parse([]), "missing the NAME (usage: sg-aws-credential [--profile] NAME)")
        usageError(try AWSCredentialTool.parse(["--profile"]), "--profile needs a NAME")
        usageError(try AWSCredentialTool.parse(["--profile", "a", "b"]), "--profile is given once")
        usageError(try AWSCredentialTool.parse(["--region", "x"]), "unknown option '--region'")
        usageError(try AWSCredentialTool.parse(["--profile="]), "bad profile name ''")
        usageError(try AWSCredentialTool.parse(["a b"]), "bad profile name 'a b'")
        usageError(try AWSCredentialTool.parse(["a\nb"]), "bad profile name")
    }

    func testAnsibleVaultIDDefaultsToDefault() throws {
        XCTAssertEqual(try AnsibleVaultClient.parse([]), .value("default"))
        XCTAssertEqual(try AnsibleVaultClient.parse(["--vault-id", "prod"]), .value("prod"))
        XCTAssertEqual(try AnsibleVaultClient.parse(["--vault-id=team.x-1"]), .value("team.x-1"))
        XCTAssertEqual(try AnsibleVaultClient.parse(["--help"]), .help)
    }

    func testAnsibleArgumentErrorsAreUsage64() {
        usageError(try AnsibleVaultClient.parse(["--vault-id"]), "--vault-id needs a NAME")
        usageError(try AnsibleVaultClient.parse(["--vault-id", "a", "--vault-id", "b"]), "--vault-id is given once")
        usageError(try AnsibleVaultClient.parse(["prod"]), "unexpected argument 'prod'")
        usageError(try AnsibleVaultClient.parse(["--ask-vault-pass"]), "unknown option '--ask-vault-pass'")
        usageError(try AnsibleVaultClient.parse(["--vault-id", "a@b"]), "bad vault id 'a@b'")
        usageError(try AnsibleVaultClient.parse(["--vault-id", ""]), "bad vault id ''")
    }

    /// Ansible strips CR/LF from the ends and refuses what is left empty: refused here first,
    /// with exit 76 and the names to fix, not Ansible's "Invalid vault password".
    func testAPasswordEmptyAfterAnsiblesStripIsExit76() throws {
        for bytes: [UInt8] in [[], [0x0A], [0x0D, 0x0A, 0x0A]] {
            XCTAssertThrowsError(try AnsibleVaultClient.requireUsable(SecretBytes(bytes: bytes), vaultID: "prod", reference: .named("v", field: nil))) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .protocolError)
                XCTAssertEqual((error as? SGError)?.message, "unexpected response: the password of vault id 'prod' (sg:v) is empty; Ansible refuses an empty vault password")
            }
        }
        XCTAssertNoThrow(try AnsibleVaultClient.requireUsable(SecretBytes(string: " \n"), vaultID: "prod", reference: .named("v", field: nil)))
    }
}
