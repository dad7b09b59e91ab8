#if canImport(Glibc)
import Glibc
#endif

/// The tools one binary holds, by the name each is run as. A tool's own executable runs its entry
/// by name; the two binaries the Debian package installs (`sg-helpers`, `sg-commands`) run the
/// one named by `argv[0]`, since `/usr/bin/TOOL` is a link to them (docs/decisions.md
/// "Installation and footprint"), as busybox and git do.
///
///     ToolTable.helpers.run("git-credential-sg")   // Sources/git-credential-sg/main.swift
///     ToolTable.helpers.runAsInvoked()             // Sources/sg-helpers/main.swift
public struct ToolTable: Sendable {
    /// The binary's own name, for its usage message.
    public let binary: String
    public let entries: [(name: String, main: @Sendable () -> Never)]

    public init(binary: String, _ entries: [(name: String, main: @Sendable () -> Never)]) {
        self.binary = binary
        self.entries = entries
    }

    public var names: [String] { entries.map(\.name) }

    /// Runs the tool called `name`. The binary's own name answers `--version`; any other name is a
    /// usage error (64) that lists the tool names.
    public func run(_ name: String) -> Never {
        if let entry = entries.first(where: { $0.name == name }) { entry.main() }
        if name == binary, CommandLine.arguments.dropFirst().first == "--version" {
            print(SGVersion.line(binary))
            exit(0)
        }
        Stderr.write("\(binary): run as one of \(names.joined(separator: ", ")) (links by those names point here; man sg)\n")
        exit(ExitCode.usage.rawValue)
    }

    /// Runs the tool named by the last component of `argv[0]`.
    public func runAsInvoked() -> Never {
        run(lastPathComponent(of: CommandLine.arguments.first ?? binary))
    }
}
