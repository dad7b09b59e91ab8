import SGCore

/// What every tool starts with: the layered config and a resolver over it.
public enum ToolContext {
    public static func resolver(config: Config? = nil) throws -> Resolver {
        let config = try config ?? ConfigLoader.load()
        return Resolver(config: config, tokenSource: CachedTokenSource(config: config))
    }

    /// A resolver made on first use, for tools that often answer from a cache or not at all:
    /// they pay for the A2A set-up only when they fetch.
    ///
    ///     let resolver = ToolContext.lazyResolver(config: config)
    ///     let secret = try resolver().resolve(secret: spec)
    public static func lazyResolver(config: Config) -> () throws -> Resolver {
        var made: Resolver?
        return {
            if let made { return made }
            let r = try resolver(config: config)
            made = r
            return r
        }
    }
}
