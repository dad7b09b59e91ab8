// sg-ansible-vault-client [--vault-id NAME]: Ansible vault password client (SGPlugins.AnsibleVaultClient).
import SGPlugins

AnsibleVaultClient.main(Array(CommandLine.arguments.dropFirst()))
