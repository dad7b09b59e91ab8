import SGCore
import SGTools

extension ToolTable {
    /// The tools people type, built on swift-argument-parser; one binary, `sg-commands`, holds
    /// them all in the Debian package (docs/decisions.md "Installation and footprint").
    public static let commands = ToolTable(binary: "sg-commands", [
        ("sg-ssh-key", { SGSSHKey.runTool("sg-ssh-key") }),
        ("sg-exec", {
            // Before anything can open a descriptor: which ones sg-exec's caller handed down.
            InheritedDescriptors.recordAtStart()
            SGExec.runTool("sg-exec")
        }),
        ("sg-secret", {
            SGSecret.runTool("sg-secret", arguments: wordsAsFlags(Array(CommandLine.arguments.dropFirst())),
                             quick: SGSecret.quick)
        }),
        ("sg-token", { SGToken.runTool("sg-token", quick: SGToken.quick) }),
        ("sg-watch", { SGWatch.runTool("sg-watch") }),
        ("sg-doctor", { SGDoctor.runTool("sg-doctor") }),
    ])
}
