/// The `ansible:` section of the config (docs/config.md): which secret is the password of each
/// Ansible vault id that `sg-ansible-vault-client` answers for.
///
///     ansible:
///       vault-ids:
///         prod: sg:vault-prod
///         default: sg:vault-dev      # what --vault-password-file (no vault id) asks for
public struct AnsibleConfig: Sendable {
    public var vaultIDs: [String: SecretReference] = [:]
    public init() {}

    /// The vault id Ansible names when the client is given as `--vault-password-file`.
    public static let defaultVaultID = "default"

    /// A vault id as Ansible's `--vault-id LABEL@SOURCE` can carry it: 1 to 128 bytes, no '@'
    /// (Ansible splits there), no space or control byte, checked on bytes.
    public static func isVaultID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != 0x40 }
    }
}

extension ConfigParser {
    /// `ansible: {vault-ids: {ID: sg:REFERENCE}}`.
    func parseAnsible(_ node: YNode) throws -> AnsibleConfig {
        var ansible = AnsibleConfig()
        for (id, ref) in try node.namedEntries(of: "ansible", under: "vault-ids", valid: AnsibleConfig.isVaultID,
                                               rule: "1 to 128 bytes, no '@', space or control character") {
            ansible.vaultIDs[id] = try ref.reference("ansible.vault-ids.\(id)")
        }
        return ansible
    }
}
