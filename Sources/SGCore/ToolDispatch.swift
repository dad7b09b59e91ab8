#if canImport(Glibc)
import Glibc
#endif

/// What sg-helpers and sg-commands share: the Debian package installs each once, with the tool
/// names as links to it (`/usr/bin/git-credential-sg -> ../libexec/sg/sg-helpers`), and the binary
/// runs the tool its `argv[0]` names, as busybox and git do (docs/decisions.md "Installation and
/// footprint"). The tables themselves (`HelperTools`, `CommandTools`) are a `switch` over the
/// names: an array of closures would cost the hot paths the runtime's instantiation of its
/// generic type metadata on every run (+0.4 % of sg-askpass's instructions, measured).
///
///     HelperTools.run(ToolDispatch.invokedName)   // Sources/sg-helpers/main.swift
public enum ToolDispatch {
    /// The last path component of `argv[0]`.
    public static var invokedName: String {
        lastPathComponent(of: CommandLine.arguments.first ?? "")
    }

    /// A name the binary does not hold: its own name answers `--version`; anything else is a usage
    /// error (64) that lists the tool names.
    public static func unknown(_ name: String, binary: String, names: [String]) -> Never {
        if name == binary, CommandLine.arguments.dropFirst().first == "--version" {
            print(SGVersion.line(binary))
            exit(0)
        }
        Stderr.write("\(binary): run as one of \(names.joined(separator: ", ")) (links by those names point here; man sg)\n")
        exit(ExitCode.usage.rawValue)
    }
}
