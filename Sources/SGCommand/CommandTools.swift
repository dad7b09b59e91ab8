import SGCore
import SGTools

/// The tools people type, built on swift-argument-parser; one binary, `sg-commands`, holds them
/// all in the Debian package (docs/decisions.md "Installation and footprint").
public enum CommandTools {
    public static let binary = "sg-commands"
    public static let names = ["sg-ssh-key", "sg-exec", "sg-secret", "sg-token", "sg-watch", "sg-doctor"]

    public static func run(_ name: String) -> Never {
        switch name {
        case "sg-ssh-key": SGSSHKey.runTool(name)
        case "sg-exec":
            // Before anything can open a descriptor: which ones sg-exec's caller handed down.
            InheritedDescriptors.recordAtStart()
            SGExec.runTool(name)
        case "sg-secret":
            SGSecret.runTool(name, arguments: wordsAsFlags(Array(CommandLine.arguments.dropFirst())), quick: SGSecret.quick)
        case "sg-token": SGToken.runTool(name, quick: SGToken.quick)
        case "sg-watch": SGWatch.runTool(name)
        case "sg-doctor": SGDoctor.runTool(name)
        default: ToolDispatch.unknown(name, binary: binary, names: names)
        }
    }
}
