import SGCore

/// What every tool starts with: the layered config and a resolver over it.
public enum ToolContext {
    /// Token source installed by the tools that link the token cache (sg-token and friends).
    nonisolated(unsafe) public static var makeTokenSource: ((Config) -> (any TokenSource)?)?

    public static func resolver(config: Config? = nil) throws -> Resolver {
        let config = try config ?? ConfigLoader.load()
        return Resolver(config: config, tokenSource: makeTokenSource?(config) ?? CachedTokenSource(config: config))
    }
}
