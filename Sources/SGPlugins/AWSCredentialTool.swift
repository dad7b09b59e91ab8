import SGCore
import SGResolver

/// `sg-aws-credential --profile NAME`: the AWS CLI's and SDKs' `credential_process`, answering
/// with the access key of an `aws.profiles` entry of the sg config (docs/plugins.md).
///
/// Plain argv handling, as git-credential-sg: the SDK runs this at start and at every refresh.
///
///     AWSCredentialTool.main(Array(CommandLine.arguments.dropFirst()))
public enum AWSCredentialTool {
    public static let name = "sg-aws-credential"

    static let usage = """
    usage: sg-aws-credential [--profile] NAME
    An AWS credential_process: prints the access key of the profile NAME of the sg config's
    'aws.profiles' (man sg-config) as {"Version":1,"AccessKeyId",...} on stdout, fetched from
    Safeguard by A2A, with an Expiration (default one hour) so that SDKs pick up a rotated key.
    In ~/.aws/config:
        [profile prod]
        credential_process = /usr/bin/sg-aws-credential --profile prod
    \(ToolHelp.footer)

    """

    /// `--profile NAME`, `--profile=NAME` or a bare `NAME`, once; `-h`/`--help`.
    public static func parse(_ arguments: [String]) throws -> PluginArguments.Parsed {
        try PluginArguments.parse(arguments, option: "--profile", bare: true, usage: "\(name) [--profile] NAME") { value in
            guard SecretReference.isValidName(value) else {
                throw SGError.usage("bad profile name '\(value.prefix(64))': letters, digits, '.', '_', '-'")
            }
        }
    }

    public static func main(_ arguments: [String]) -> Never {
        Tool.run(name) {
            switch try parse(arguments) {
            case .help:
                Stderr.write(usage)   // stdout is the protocol's, as in git-credential-sg
            case .version:
                print(SGVersion.line(name))
            case .value(let name):
                let config = try ConfigLoader.load()
                let profile = try config.awsProfile(name)
                let credentials = try AWSProcessCredentials.resolve(profile, with: try ToolContext.resolver(config: config))
                SecretOutput.write(try credentials.json(), newline: true)
            }
            return 0
        }
    }
}

extension Config {
    /// The `aws.profiles` entry `name`; a missing one is a config error that says what is defined.
    func awsProfile(_ name: String) throws -> AWSProfile {
        guard let profile = aws.profiles[name] else {
            let defined = aws.profiles.keys.sorted().joined(separator: ", ")
            throw SGError.config("no aws profile '\(name)' (defined: \(defined.isEmpty ? "none" : defined)): add it under aws.profiles (docs/config.md); \(readSummary)")
        }
        return profile
    }
}
