import SGCore
import SGResolver

/// `sg-kube-credential NAME`: kubectl's exec credential plugin; the entry point the executable calls.
/// Errors are one line on stderr with sg's sysexits codes (kubectl shows the plugin's stderr).
///
///     KubeCredentialTool.main(Array(CommandLine.arguments.dropFirst()))
public enum KubeCredentialTool {
    public static let name = "sg-kube-credential"

    static let usage = """
usage: sg-kube-credential NAME
kubectl's exec credential plugin: prints an ExecCredential with the bearer token of the 'kube:'
entry NAME of the sg config (docs/config.md, docs/plugins.md), from sg's caches when they hold a
fresh one. In a kubeconfig user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: sg-kube-credential
      args: [NAME]
\(ToolHelp.footer)

"""

    public static func main(_ arguments: [String]) -> Never {
        Tool.run(name) {
            if arguments.contains("-h") || arguments.contains("--help") {
                Stderr.write(usage)
                return 0
            }
            guard arguments.count == 1, let name = arguments.first, !name.hasPrefix("-") else {
                Stderr.write(usage)
                throw SGError.usage("give one kube entry name")
            }
            let version = try KubeExecCredential.apiVersion(execInfo: Environment.current["KUBERNETES_EXEC_INFO"])
            let config = try ConfigLoader.load()
            let resolver = ToolContext.lazyResolver(config: config)
            let plugin = KubeCredentialPlugin(config: config, resolve: { try resolver().resolve($0) },
                                              cache: { try PluginCache.open(.session, config: config.keyring) })
            let (token, expiresAt) = try plugin.token(for: name)
            SecretOutput.write(try KubeExecCredential(apiVersion: version, token: token, expiresAt: expiresAt).encoded(), newline: false)
            return 0
        }
    }
}
