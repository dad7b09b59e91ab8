import SGCore
import SGPlugins

/// The tools other programs run on every use (git, ssh, docker, kubectl, the AWS SDKs, Ansible): plain argv
/// handling and no swift-argument-parser, whose conformance records alone would cost each run up
/// to 13 % more instructions (docs/decisions.md "Installation and footprint"). One binary,
/// `sg-helpers`, holds them all in the Debian package; each also has its own executable.
public enum HelperTools {
    public static let binary = "sg-helpers"
    public static let names = ["git-credential-sg", "sg-askpass", "sg-aws-credential", "sg-ansible-vault-client",
                               "docker-credential-sg", "sg-kube-credential"]

    public static func run(_ name: String) -> Never {
        switch name {
        case "git-credential-sg": GitCredentialSG.main()
        case "sg-askpass": SGAskpass.main()
        case "sg-aws-credential": AWSCredentialTool.main(Array(CommandLine.arguments.dropFirst()))
        case "sg-ansible-vault-client": AnsibleVaultClient.main(Array(CommandLine.arguments.dropFirst()))
        case "docker-credential-sg": DockerCredentialTool.main()
        case "sg-kube-credential": KubeCredentialTool.main()
        default: ToolDispatch.unknown(name, binary: binary, names: names)
        }
    }
}
