import ArgumentParser
import SGCore
import SGResolver
import SGTools
#if canImport(Glibc)
import Glibc
#endif

/// Follows rotation of secrets and runs a handler with each new value.
struct SGWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-watch",
        abstract: "Run a handler with a secret's value now and again every time Safeguard rotates it.",
        discussion: """
        HANDLER runs with the current value of each REF on stdin, then again after every change \
        (A2A change events over one connection per profile; polling every watch.poll seconds when \
        the appliance offers no events). With several REFs, SG_WATCH_REF names the one whose value \
        is on stdin. The value is never in argv or the environment. Handlers run one at a time; \
        a burst of rotations may coalesce, but the last value always reaches HANDLER. A failing \
        handler is logged and the watch goes on. One line on stderr per event. Exits non-zero only \
        on configuration and usage errors; otherwise it keeps reconnecting until SIGTERM/SIGINT.
        \(ToolHelp.footer)
        """,
        version: SGVersion.line("sg-watch"))

    @Flag(help: "Drop sg's cached git password when a secret tied to git (git.rules, git-urls:) rotates; with no REF, every such secret; the handler is optional.")
    var git = false

    // One positional list split at `--` here: ArgumentParser allows no positional after an array.
    @Argument(parsing: .captureForPassthrough,
              help: ArgumentHelp("Secrets to follow (sg:NAME or sg:NAME#FIELD), then --, the handler and its arguments.",
                                 valueName: "REF... -- HANDLER"))
    var words: [String] = []

    var references: [String] { Array(words.prefix { $0 != "--" }) }
    var command: [String] { Array(words.drop { $0 != "--" }.dropFirst()) }

    func validate() throws {
        // The passthrough capture takes ArgumentParser's own flags too: answer them here.
        switch words.first {
        case "-h", "--help": throw CleanExit.helpRequest(self)
        case "--version": throw CleanExit.message(Self.configuration.version)
        case "--experimental-dump-help": throw CleanExit.message(Self._dumpHelp())   // scripts/package's man page
        default: break
        }
        if references.isEmpty && !git { throw ValidationError("nothing to watch: sg-watch REF... -- HANDLER [ARGS...]") }
        if let option = references.first(where: { $0.hasPrefix("-") }) { throw ValidationError("unknown option '\(option.prefix(64))'") }
        if command.isEmpty && !git { throw ValidationError("missing handler: sg-watch REF... -- HANDLER [ARGS...]") }
        if words.contains("--") && command.isEmpty { throw ValidationError("missing handler after --") }
    }

    func run() throws {
        let resolver = try ToolContext.resolver()
        let config = resolver.config
        var names = references
        if git {
            let tied = Set(GitCacheDrop.secrets(config))
            if names.isEmpty {
                names = GitCacheDrop.secrets(config).map { "sg:\($0)" }
                if names.isEmpty { throw SGError.config("--git: no secret is tied to git (git.rules or git-urls:)") }
            }
            for name in names {
                if case .named(let secret, _) = try SecretReference(parsing: name), !tied.contains(secret) {
                    throw SGError.usage("--git: \(name) is not tied to git (git.rules or git-urls:)")
                }
            }
        }
        let refs = try names.map { try SecretReference(parsing: $0) }
        let handler = command.isEmpty ? nil : WatchHandler(command: command, hidden: ExecPlan.alwaysDropped.union(config.secretEnvironmentVariables))
        _ = try handler?.resolvedPath()
        let watcher = try SecretWatcher(resolver: resolver, references: refs, settings: config.watch,
                                        log: { Stderr.write("sg-watch: \($0)\n") })
        let stop = StreamStop()
        Stop.install(stop)
        try watcher.run(stop: stop) { index, secret in
            let ref = watcher.watched[index].reference
            if git, case .named(let name, _) = ref {
                // Also at start: a copy cached before sg-watch ran may already be stale.
                do {
                    let n = try GitCacheDrop.drop(secret: name, config: config)
                    Stderr.write("sg-watch: \(ref): new value; \(n) cached git cop\(n == 1 ? "y" : "ies") dropped\n")
                } catch let e as SGError {
                    Stderr.write("sg-watch: \(ref): cannot drop the cached git password: \(e.message)\n")
                } catch {
                    Stderr.write("sg-watch: \(ref): cannot drop the cached git password: \(error)\n")
                }
            }
            guard let handler else { return }
            Stderr.write("sg-watch: \(ref): new value (\(secret.value.count) bytes); running \(command[0])\n")
            do {
                let status = try handler.run(value: secret.value, reference: ref.description)
                if status != 0 { Stderr.write("sg-watch: \(ref): \(command[0]) exited \(status)\n") }
            } catch let e as SGError {
                Stderr.write("sg-watch: \(ref): \(e.message)\n")
            } catch {
                Stderr.write("sg-watch: \(ref): \(error)\n")
            }
        }
        Glibc.exit(0)
    }
}

/// SIGTERM/SIGINT end the watch between handlers (a running handler is waited for). The handler
/// only sets an atomic flag (async-signal-safe); the watch sees it within a few seconds.
enum Stop {
    nonisolated(unsafe) static var stop: StreamStop?

    static func install(_ s: StreamStop) {
        stop = s
        for sig in [SIGTERM, SIGINT] {
            signal(sig) { _ in Stop.stop?.stop() }
        }
    }
}
