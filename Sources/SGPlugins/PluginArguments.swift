import SGCore

/// The one command-line shape the plugins take, parsed by hand (the host tool runs them on every
/// start or refresh): `-h`/`--help`, `--version`, or one value given as `--OPTION VALUE`, `--OPTION=VALUE` or,
/// where `bare` allows it, alone; without one, `absent` (or exit 64 when there is none). Every
/// other argument is exit 64.
///
///     switch try PluginArguments.parse(args, option: "--vault-id", bare: false, absent: "default", usage: "…") { … }
public enum PluginArguments {
    public enum Parsed: Equatable, Sendable {
        case help
        case version
        case value(String)
    }

    static func parse(_ arguments: [String], option: String, bare: Bool, absent: String? = nil, usage: String,
                      check: (String) throws -> Void) throws -> Parsed {
        var value: String?
        var rest = arguments[...]
        func set(_ text: String) throws {
            guard value == nil else { throw SGError.usage("\(option) is given once (usage: \(usage))") }
            try check(text)
            value = text
        }
        while let arg = rest.popFirst() {
            switch arg {
            case "-h", "--help": return .help
            case "--version": return .version
            case option:
                guard let next = rest.popFirst() else { throw SGError.usage("\(option) needs a NAME") }
                try set(next)
            case _ where arg.hasPrefix(option + "="): try set(String(arg.dropFirst(option.count + 1)))
            case _ where arg.hasPrefix("-"): throw SGError.usage("unknown option '\(arg.prefix(64))' (usage: \(usage))")
            case _ where bare: try set(arg)
            default: throw SGError.usage("unexpected argument '\(arg.prefix(64))' (usage: \(usage))")
            }
        }
        guard let found = value ?? absent else { throw SGError.usage("missing the NAME (usage: \(usage))") }
        return .value(found)
    }
}
