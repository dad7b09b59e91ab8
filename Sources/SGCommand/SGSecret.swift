import ArgumentParser
import SGCore
import SGResolver
#if canImport(Glibc)
import Glibc
#endif

/// Prints one secret to stdout; also a summon provider (legacy and stream mode).
struct SGSecret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-secret",
        abstract: "Print one secret from Safeguard (or a cached token) to stdout.",
        discussion: """
        REFERENCE is sg:NAME, sg:NAME#FIELD or sg:token/PROFILE (a bare NAME means sg:NAME, as \
        summon passes variable ids). With no REFERENCE and stdin not a terminal, runs summon's \
        stream mode: one id per line in, one base64 value per line out. 'sg-secret help' is \
        --help; a secret named help is sg:help.
        \(ToolHelp.footer)
        """,
        version: SGVersion.line("sg-secret"))

    @Argument(help: "The secret reference.")
    var reference: String?

    @Flag(name: .short, help: "Do not print a trailing newline.")
    var noNewline = false

    func run() throws {
        try Self.printSecret(reference, noNewline: noNewline)
    }

    static func printSecret(_ reference: String?, noNewline: Bool) throws {
        let resolver = try ToolContext.resolver()
        guard let reference else {
            guard isatty(0) == 0 else { throw SGError.usage("missing REFERENCE (see sg-secret --help)") }
            try streamMode(resolver)
            return
        }
        let secret = try resolver.resolve(try SecretReference(nameOrReference: reference))
        SecretOutput.write(secret.value, newline: !noNewline)
    }

    /// `sg-secret [-n] REFERENCE`, the form scripts run many times, without ArgumentParser.
    static func quick(_ args: [String]) -> (() throws -> Void)? {
        guard let q = QuickArguments.match(args, flags: ["no-newline": ["-n"]], positionals: 1),
              let reference = q.positionals.first else { return nil }
        return { try printSecret(reference, noNewline: q.flags.contains("no-newline")) }
    }

    /// summon stream mode: ids on stdin, base64 values on stdout in the same order; any failure
    /// goes to stderr (summon then falls back to one process per secret).
    static func streamMode(_ resolver: Resolver) throws {
        var ids: [String] = []
        while let line = readLine(strippingNewline: true) {
            if !line.isEmpty { ids.append(line) }
        }
        let refs = try ids.map(SecretReference.init(nameOrReference:))
        let results = resolver.resolveAll(refs)
        let out = SecretBuffer()
        for (id, result) in zip(ids, results) {
            switch result {
            case .success(let s): out.append(Base64.encode(s.value)); out.append("\n")
            case .failure(let e): _ = id; throw e
            }
        }
        SecretOutput.write(out.take(), newline: false)
    }
}

/// `sg-secret help` and `sg-secret version` are what a newcomer types first; they are words for
/// the flags, not secret names (a secret called `help` is still `sg:help`).
func wordsAsFlags(_ args: [String]) -> [String] {
    guard args.count == 1 else { return args }
    switch args[0] {
    case "help": return ["--help"]
    case "version": return ["--version"]
    default: return args
    }
}
