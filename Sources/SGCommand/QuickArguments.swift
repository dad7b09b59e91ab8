/// The few plain argument forms a hot path accepts without swift-argument-parser, whose
/// reflection costs every run ≈ 12 M instructions, half of `sg-token status` (docs/bench.md).
/// Anything else (help, `--`, an unknown or repeated option, a value that looks like an option)
/// is not matched, and the caller hands argv to ArgumentParser, which then owns every message.
///
///     let q = QuickArguments.match(["get", "-p", "prod"], subcommand: "get", options: ["profile": ["-p", "--profile"]])
///     q?.options["profile"]   // "prod"
public struct QuickArguments: Equatable {
    public var positionals: [String] = []
    /// Option values by long name.
    public var options: [String: String] = [:]
    /// Flags given, by long name.
    public var flags: Set<String> = []

    /// Matches `args` as `[subcommand] (OPTION VALUE | --long=VALUE | FLAG | POSITIONAL)*`.
    /// `options` and `flags` map a name to its spellings, as ArgumentParser declares them
    /// (`["profile": ["-p", "--profile"]]`).
    public static func match(_ args: [String], subcommand: String? = nil, options: [String: [String]] = [:],
                             flags: [String: [String]] = [:], positionals maxPositionals: Int = 0) -> QuickArguments? {
        var rest = args[...]
        if let subcommand {
            guard rest.first == subcommand else { return nil }
            rest = rest.dropFirst()
        }
        func name(_ spelling: String, in table: [String: [String]]) -> String? {
            table.first { $0.value.contains(spelling) }?.key
        }
        var q = QuickArguments()
        while let arg = rest.first {
            rest = rest.dropFirst()
            guard arg.hasPrefix("-"), arg != "-" else {
                guard q.positionals.count < maxPositionals else { return nil }
                q.positionals.append(arg)
                continue
            }
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                guard let n = name(String(arg[..<eq]), in: options), q.options[n] == nil else { return nil }
                q.options[n] = String(arg[arg.index(after: eq)...])
            } else if let n = name(arg, in: options) {
                guard q.options[n] == nil, let value = rest.first, !value.hasPrefix("-") else { return nil }
                rest = rest.dropFirst()
                q.options[n] = value
            } else if let n = name(arg, in: flags) {
                guard q.flags.insert(n).inserted else { return nil }
            } else {
                return nil
            }
        }
        return q
    }
}
