// sg-aws-credential [--profile] NAME: AWS credential_process (SGPlugins.AWSCredentialTool).
import SGPlugins

AWSCredentialTool.main(Array(CommandLine.arguments.dropFirst()))
