import SGCore

/// What every tool starts with: the layered config and a resolver over it.
public enum ToolContext {
    public static func resolver(config: Config? = nil) throws -> Resolver {
        let config = try config ?? ConfigLoader.load()
        return Resolver(config: config, tokenSource: CachedTokenSource(config: config))
    }
}
