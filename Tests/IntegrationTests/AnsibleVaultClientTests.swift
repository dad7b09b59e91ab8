import Foundation
import SGTestSupport
import XCTest

/// sg-ansible-vault-client as the real ansible-vault (ansible-core 2.19, in the venv
/// scripts/bootstrap makes) runs it: a vault file encrypted with a password that lives in
/// sg-sim is decrypted through `--vault-id prod@…/sg-ansible-vault-client`.
final class AnsibleVaultClientTests: SimCase {
    /// scripts/bootstrap installs ansible-core 2.19 here.
    static let ansibleVault = "/opt/sg-test/venv-ansible/bin/ansible-vault"
    static let plaintext = "db_password: s3cr3t-for-the-playbook\n"
    var env: ToolEnvironment!
    var client: String { TestPaths.binary("sg-ansible-vault-client") }

    override func setUpWithError() throws {
        try super.setUpWithError()
        env = try ToolEnvironment.forHostTool(Self.ansibleVault, sim: simulator, label: "ansible", section: """
        ansible:
          vault-ids:
            prod: sg:quote-pw
            default: sg:unicode-pw
            wrong: sg:demo-db

        """)
        env.extra["ANSIBLE_HOME"] = env.home.appendingPathComponent("ansible-home").path
        env.extra["ANSIBLE_LOCAL_TEMP"] = env.home.appendingPathComponent("ansible-tmp").path
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    func ansibleVault(_ args: [String]) throws -> ToolRun {
        try env.run([Self.ansibleVault] + args, timeout: 120)
    }

    /// `secrets.yml` encrypted for `vaultID` with `password`, given to ansible-vault in a 0600 file.
    func encryptedFile(vaultID: String, password: String) throws -> String {
        let passwordFile = env.home.appendingPathComponent("password-\(vaultID)")
        FileManager.default.createFile(atPath: passwordFile.path, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(at: passwordFile) }
        let file = env.home.appendingPathComponent("secrets-\(vaultID).yml")
        try Self.plaintext.write(to: file, atomically: true, encoding: .utf8)
        let r = try ansibleVault(["encrypt", "--vault-id", "\(vaultID)@\(passwordFile.path)", file.path])
        XCTAssertEqual(r.status, 0, r.stderrText)
        // Ansible writes the id into the header, except for `default` (a 1.1 header without one).
        let header = vaultID == "default" ? "$ANSIBLE_VAULT;1.1;AES256\n" : "$ANSIBLE_VAULT;1.2;AES256;\(vaultID)\n"
        XCTAssertTrue(try String(contentsOf: file, encoding: .utf8).hasPrefix(header))
        return file.path
    }

    func testAnsibleVaultDecryptsWithThePasswordSgFetches() throws {
        let file = try encryptedFile(vaultID: "prod", password: try XCTUnwrap(ready.passwords["quote-pw"]))
        let r = try ansibleVault(["view", "--vault-id", "prod@\(client)", file])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdoutText, Self.plaintext)
    }

    /// Given as `--vault-password-file` or as a `--vault-id` without a label, Ansible asks the
    /// client for the vault id `default`.
    func testAsVaultPasswordFileTheClientAnswersForDefault() throws {
        let file = try encryptedFile(vaultID: "default", password: try XCTUnwrap(ready.passwords["unicode-pw"]))
        for source in [["--vault-password-file", client], ["--vault-id", client]] {
            let r = try ansibleVault(["view"] + source + [file])
            XCTAssertEqual(r.status, 0, "\(source): \(r.stderrText)")
            XCTAssertEqual(r.stdoutText, Self.plaintext, "\(source)")
        }
    }

    func testAnUnknownVaultIDIsExit2AndAnsibleSaysTheClientHasNoSecretForIt() throws {
        let direct = try env.run([client, "--vault-id", "nope"])
        XCTAssertEqual(direct.status, 2, direct.stderrText)
        XCTAssertEqual(direct.stdout.count, 0)
        XCTAssertTrue(direct.stderrText.hasPrefix("sg-ansible-vault-client: no vault id 'nope' in ansible.vault-ids (defined: default, prod, wrong); config read: "), direct.stderrText)
        let file = try encryptedFile(vaultID: "prod", password: try XCTUnwrap(ready.passwords["quote-pw"]))
        let r = try ansibleVault(["view", "--vault-id", "nope@\(client)", file])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderrText.contains("did not find a secret for vault-id=nope"), r.stderrText)
        XCTAssertEqual(LeakCheck(simulator: ready).check(r), [])
    }

    func testAWrongMappingDoesNotDecrypt() throws {
        let file = try encryptedFile(vaultID: "wrong", password: try XCTUnwrap(ready.passwords["quote-pw"]))
        let r = try ansibleVault(["view", "--vault-id", "wrong@\(client)", file])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertTrue(r.stderrText.contains("Decryption failed"), r.stderrText)
    }

    func testDirectRunPrintsThePasswordAndANewlineOnlyAndFailuresUseSgsCodes() throws {
        let r = try env.run([client, "--vault-id", "prod"])
        XCTAssertEqual(r.status, 0, r.stderrText)
        XCTAssertEqual(r.stdoutText, try XCTUnwrap(ready.passwords["quote-pw"]) + "\n")
        XCTAssertEqual(r.stderr.count, 0)
        let usage = try env.run([client, "prod"])
        XCTAssertEqual(usage.status, 64, usage.stderrText)
        try simulator.admin("/admin/a2a", json: ["enabled": false])
        let off = try env.run([client, "--vault-id", "prod"])
        XCTAssertEqual(off.status, 69, off.stderrText)
        XCTAssertEqual(off.stdout.count, 0)
    }
}
