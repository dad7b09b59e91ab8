import SGCore
import SGResolver

/// `sg-ansible-vault-client --vault-id NAME`: an Ansible vault password client script. Ansible
/// runs it for `--vault-id NAME@/usr/bin/sg-ansible-vault-client` (and, given as
/// `--vault-password-file`, for the vault id `default`) and reads the password from stdout.
/// Protocol rules (docs/plugins.md): the name ends in `-client`; exit 2 means "this vault id is
/// not mine"; every other failure is sg's usual one line on stderr and sysexits code.
///
///     AnsibleVaultClient.main(Array(CommandLine.arguments.dropFirst()))
public enum AnsibleVaultClient {
    public static let name = "sg-ansible-vault-client"

    /// Ansible's code for "the client does not know this vault id" (ansible.parsing.vault).
    public static let unknownVaultIDStatus: Int32 = 2

    static let usage = """
    usage: sg-ansible-vault-client [--vault-id NAME]
    An Ansible vault password client: prints the password of vault id NAME (default: 'default'),
    mapped by the sg config's 'ansible.vault-ids' (man sg-config), fetched from Safeguard by A2A.
    Exit 2 when NAME is not mapped. In ansible.cfg:
        [defaults]
        vault_identity_list = prod@/usr/bin/sg-ansible-vault-client
    or on the command line: ansible-playbook --vault-id prod@/usr/bin/sg-ansible-vault-client site.yml
    \(ToolHelp.footer)

    """

    /// `--vault-id NAME` or `--vault-id=NAME`, at most once; none means `default`.
    public static func parse(_ arguments: [String]) throws -> PluginArguments.Parsed {
        try PluginArguments.parse(arguments, option: "--vault-id", bare: false, absent: AnsibleConfig.defaultVaultID,
                                  usage: "\(name) [--vault-id NAME]") { value in
            guard AnsibleConfig.isVaultID(value) else {
                throw SGError.usage("bad vault id '\(value.prefix(64))': 1 to 128 bytes, no '@', space or control character")
            }
        }
    }

    public static func main(_ arguments: [String]) -> Never {
        Tool.run(name) {
            switch try parse(arguments) {
            case .help:
                Stderr.write(usage)   // stdout carries only the password
                return 0
            case .version:
                print(SGVersion.line(name))
                return 0
            case .value(let id):
                let config = try ConfigLoader.load()
                guard let reference = config.ansible.vaultIDs[id] else {
                    let defined = config.ansible.vaultIDs.keys.sorted().joined(separator: ", ")
                    let message = "no vault id '\(id)' in ansible.vault-ids (defined: \(defined.isEmpty ? "none" : defined)); \(config.readSummary)"
                    Stderr.write("\(name): \(message.escapingControlCharacters())\n")
                    return unknownVaultIDStatus
                }
                let secret = try ToolContext.resolver(config: config).resolve(reference)
                try requireUsable(secret.value, vaultID: id, reference: reference)
                SecretOutput.write(secret.value, newline: true)
                return 0
            }
        }
    }

    /// Ansible strips CR and LF from the ends of the answer and refuses an empty password; one
    /// that is empty after that stripping is refused here (exit 76), with the name to fix.
    static func requireUsable(_ password: SecretBytes, vaultID: String, reference: SecretReference) throws {
        let usable = password.withUnsafeBytes { raw in raw.contains { $0 != 0x0A && $0 != 0x0D } }
        guard usable else {
            throw SGError.unexpectedResponse("the password of vault id '\(vaultID)' (\(reference)) is empty; Ansible refuses an empty vault password")
        }
    }
}
