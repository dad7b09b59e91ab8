import XCTest
@testable import SGCore

/// The `ansible:` section of the config (docs/config.md), read by sg-ansible-vault-client.
final class AnsibleConfigTests: XCTestCase {
    func testVaultIDsMapToReferences() throws {
        let c = try parseConfig("ansible:\n  vault-ids:\n    prod: sg:vault-prod\n    default: sg:api-ci#ClientSecret\n    team.x-1: sg:token/sim\n")
        XCTAssertEqual(c.ansible.vaultIDs, ["prod": .named("vault-prod", field: nil),
                                           "default": .named("api-ci", field: "ClientSecret"),
                                           "team.x-1": .token(profile: "sim")])
    }

    func testPasswordsWrittenInlineAndIDsAnsibleCannotCarryAreRefused() throws {
        assertConfigRefuses([
            ("ansible:\n  vault-ids:\n    prod: hunter2-inline\n", "test.yaml:4: ansible.vault-ids.prod is a reference (sg:NAME or sg:NAME#FIELD), never the secret itself"),
            ("ansible:\n  vault-ids:\n    prod: \"sg:\"\n", "ansible.vault-ids.prod: bad reference"),
            ("ansible:\n  vault-ids:\n    \"a@b\": sg:x\n", "bad name 'a@b' in ansible.vault-ids"),
            ("ansible:\n  vault-ids:\n    \"a b\": sg:x\n", "bad name 'a b' in ansible.vault-ids"),
            ("ansible:\n  vault-ids:\n    \"a\\tb\": sg:x\n", "in ansible.vault-ids: 1 to 128 bytes, no '@', space or control character"),
            ("ansible:\n  vault-ids:\n    prod: [sg:x]\n", "must be a single value"),
            ("ansible:\n  vaults: {}\n", "unknown key 'vaults' in ansible"),
        ], neverShowing: "hunter2")
    }

    func testUserFileVaultIDsReplaceTheSystemFilesByName() throws {
        var system = try parseConfig("ansible:\n  vault-ids:\n    prod: sg:sys-prod\n    dev: sg:sys-dev\n")
        system.merge(try parseConfig("ansible:\n  vault-ids:\n    prod: sg:user-prod\n"))
        XCTAssertEqual(system.ansible.vaultIDs, ["prod": .named("user-prod", field: nil), "dev": .named("sys-dev", field: nil)])
    }
}
