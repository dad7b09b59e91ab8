// git-credential-sg get|store|erase: git's credential helper over Safeguard A2A.
//
// Plain argv handling, as git's own helpers do: this runs on every git fetch and push, and an
// unmapped host must cost little more than git-credential-store (no ArgumentParser, and libcurl
// is loaded only when a password is actually fetched).
import SGCore
import SGResolver
import SGTools

/// The entry point (HelperTools).
enum GitCredentialSG {
    static let usage = """
usage: git-credential-sg <get|store|erase> | --version
A git credential helper: answers git with passwords fetched from Safeguard by A2A, mapped by the
'git:' rules of the sg config (man sg-config). Enable it with:
    git config --global credential.helper sg
A rule with a path (https://host/team) also needs: git config --global credential.useHttpPath true
SG_LOG=debug says which config was read and why no rule matched.
\(ToolHelp.footer)

"""

    static func main() -> Never {
        Tool.run("git-credential-sg") {
            let args = Array(CommandLine.arguments.dropFirst())
            if args == ["--version"] {
                print(SGVersion.line("git-credential-sg"))
                return 0
            }
            if args.contains("-h") || args.contains("--help") {
                Stderr.write(usage)
                return 0
            }
            guard let word = args.last else {
                Stderr.write(usage)
                return ExitCode.usage.rawValue
            }
            // git adds operations over time ("capability", ...): ignore the ones we do not know.
            guard let action = GitCredentialHelper.Action(word) else { return 0 }

            let request = try GitCredential.read(fd: 0)
            let config = try ConfigLoader.load()
            var resolver: Resolver?
            let helper = GitCredentialHelper(
                config: config,
                resolve: { spec in
                    if resolver == nil { resolver = try ToolContext.resolver(config: config) }
                    return try resolver!.resolve(secret: spec)
                },
                cache: { collection in
                    try KeyringGitCache.open(collection, config: config.keyring)
                })
            let answer = try helper.run(action, request)
            if let answer {
                if answer.username == nil {
                    Log.logger.debug("git: no username is known for \(request.url ?? "this request"); git will ask for one: set 'username:' on the rule or the secret")
                }
                SecretOutput.write(try answer.encoded(), newline: false)
            } else if action == .get, Log.logger.logLevel <= .debug {
                explainNoAnswer(helper, request, config: config)
            }
            return 0
        }
    }
}

/// SG_LOG=debug: why a `get` got no answer, so git's "could not read Username" has a cause.
func explainNoAnswer(_ helper: GitCredentialHelper, _ request: GitCredential, config: Config) {
    let log = Log.logger
    let url = (request.url ?? "?") + (request.path.map { "/" + $0 } ?? "")
    log.debug("git: no answer for \(url); \(config.readSummary)")
    if helper.rules.rules.isEmpty {
        log.debug("git: no git.rules in the config (and no secret has git-urls)")
    }
    for line in helper.rules.reasonsForNoMatch(request) { log.debug("git: \(line)") }
}
