import SGCore

extension ToolTable {
    /// The tools other programs run on every use (git, ssh, and the plugin hosts): plain argv
    /// handling and no swift-argument-parser, whose conformance tables alone would cost each run
    /// up to 13 % more instructions (docs/decisions.md "Installation and footprint"). One binary,
    /// `sg-helpers`, holds them all in the Debian package.
    public static let helpers = ToolTable(binary: "sg-helpers", [
        ("git-credential-sg", { GitCredentialSG.main() }),
        ("sg-askpass", { SGAskpass.main() }),
    ])
}
