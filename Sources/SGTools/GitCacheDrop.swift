import SGCore

/// `sg-watch --git`: when a secret that git-credential-sg answers from rotates, its copies in the
/// session cache are dropped, so git's next request fetches the new password instead of failing
/// once with the old one (docs/decisions.md: git gets a secret only through `git.rules` or a secret's
/// `git-urls:`).
///
///     for name in GitCacheDrop.secrets(config) { … watch sg:name … }
///     _ = try GitCacheDrop.drop(secret: "git-team", config: config)
public enum GitCacheDrop {
    /// Every secret a `git.rules` entry (or a secret's `git-urls:`) ties to git, in rule order.
    public static func secrets(_ config: Config) -> [String] {
        var seen: Set<String> = []
        return GitRules(config.git, secrets: config.secrets).rules.map(\.rule.secret).filter { seen.insert($0).inserted }
    }

    /// Drops the session cache's copies of `secret`; returns how many there were.
    @discardableResult
    public static func drop(secret: String, config: Config) throws -> Int {
        try KeyringGitCache.open(.session, config: config.keyring)
            .erase(service: GitCredentialHelper.cacheService(secret), account: nil)
    }
}
