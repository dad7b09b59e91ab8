import SGCore
import SGResolver

/// `sg-kube-credential NAME`: kubectl's exec credential plugin; the entry point the executable calls.
/// Errors are one line on stderr with sg's sysexits codes (kubectl shows the plugin's stderr).
///
///     KubeCredentialTool.main()
public enum KubeCredentialTool {
    public static let name = "sg-kube-credential"

    static let usage = """
usage: sg-kube-credential [--entry] NAME
kubectl's exec credential plugin: prints an ExecCredential with the bearer token of the 'kube:'
entry NAME of the sg config (man sg-config, man sg-kube-credential), from sg's caches when they hold a
fresh one. In a kubeconfig user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: sg-kube-credential
      args: [NAME]
\(ToolHelp.footer)

"""

    /// `--entry NAME`, `--entry=NAME` or a bare `NAME`, once; `-h`/`--help`.
    public static func parse(_ arguments: [String]) throws -> PluginArguments.Parsed {
        try PluginArguments.parse(arguments, option: "--entry", bare: true, usage: "\(name) [--entry] NAME") { value in
            guard SecretReference.isValidName(value) else {
                throw SGError.usage("bad kube entry name '\(value.prefix(64))': letters, digits, '.', '_', '-'")
            }
        }
    }

    /// The process's own arguments (a per-tool executable, or a name of a multi-call binary).
    public static func main() -> Never { main(Array(CommandLine.arguments.dropFirst())) }

    public static func main(_ arguments: [String]) -> Never {
        Tool.run(name) {
            let name: String
            switch try parse(arguments) {
            case .help:
                Stderr.write(usage)   // stdout is the protocol's
                return 0
            case .version:
                print(SGVersion.line(Self.name))
                return 0
            case .value(let entry):
                name = entry
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
