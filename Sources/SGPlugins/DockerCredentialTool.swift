import SGCore
import SGResolver
#if canImport(Glibc)
import Glibc
#endif

/// `docker-credential-sg get|store|erase|list|version`: the entry point the executable calls.
///
/// Plain argv handling, as git-credential-sg does (no ArgumentParser): docker and skopeo run the
/// helper for every registry they touch. The protocol puts every error on stdout with exit
/// status 1 (clients read stdout and show it), which overrides sg's "errors on stderr, sysexits".
///
///     DockerCredentialTool.main()
public enum DockerCredentialTool {
    public static let name = "docker-credential-sg"

    static let usage = """
usage: docker-credential-sg <get|store|erase|list|version>
A docker credential helper (docker, podman, buildah, skopeo): answers registries that the
'docker:' rules of the sg config map with passwords fetched from Safeguard by A2A
(man sg-config, man docker-credential-sg). Enable it per registry in ~/.docker/config.json:
    {"credHelpers": {"registry.corp:5000": "sg"}}
Errors go to stdout with exit status 1, as the protocol wants; an unmapped registry answers
'credentials not found in native keychain'. SG_LOG=debug explains on stderr.
\(ToolHelp.footer)

"""

    /// The process's own arguments (a per-tool executable, or a name of a multi-call binary).
    public static func main() -> Never { main(Array(CommandLine.arguments.dropFirst())) }

    public static func main(_ arguments: [String]) -> Never {
        Tool.harden()
        Log.bootstrap(tool: name)
        if arguments == ["--version"] {
            print(SGVersion.line(name))
            exit(0)
        }
        if arguments.contains("-h") || arguments.contains("--help") {
            Stderr.write(usage)
            exit(0)
        }
        guard arguments.count == 1, let action = DockerCredentialHelper.Action(rawValue: arguments[0]) else {
            Stderr.write(usage)
            fail(arguments.first.map { "unknown action '\($0.prefix(40))' (get, store, erase, list, version)" } ?? "an action is needed (get, store, erase, list, version)")
        }
        do {
            try run(action)
            exit(0)
        } catch let f as DockerCredentialProtocol.Failure {
            fail(f.message)
        } catch let e as SGError {
            fail(e.message)
        } catch {
            fail(SGError.internalError(String(describing: type(of: error))).message)
        }
    }

    static func run(_ action: DockerCredentialHelper.Action) throws {
        if action == .version {
            write("\(name) (sg)\n")
            return
        }
        let input = action == .list ? SecretBytes(bytes: [UInt8]()) : try DockerCredentialProtocol.readInput(fd: 0)
        let config = try ConfigLoader.load()
        let resolver = ToolContext.lazyResolver(config: config)
        let helper = DockerCredentialHelper(config: config, resolve: { try resolver().resolve(secret: $0) },
                                            cache: { try PluginCache.open($0, config: config.keyring) })
        switch action {
        case .get: SecretOutput.write(try DockerCredentialProtocol.encode(try helper.get(try DockerCredentialProtocol.serverURL(input))), newline: false)
        case .store: try helper.store(try DockerCredentialProtocol.storeRequest(input))
        case .erase: try helper.erase(try DockerCredentialProtocol.serverURL(input))
        case .list: write(DockerCredentialProtocol.encodeList(try helper.list()))
        case .version: break
        }
    }

    /// The protocol's error: one line on stdout (control characters escaped), exit status 1.
    static func fail(_ message: String) -> Never {
        write(message.escapingControlCharacters() + "\n")
        exit(1)
    }

    static func write(_ text: String) { SecretOutput.write(SecretBytes(string: text), newline: false) }
}
