import SGCore
import SGKeyring

/// Where git-credential-sg keeps credentials between runs: SGKeyring's `KeyringCache`, with its
/// session copies of A2A passwords in the `git-session` folder and `git.store-unmapped`'s
/// credentials in the persistent collection (like git-credential-libsecret).
///
///     let cache = try KeyringGitCache.open(.session, config: config.keyring)
public enum KeyringGitCache {
    public static let sessionFolder = "git-session"

    public static func open(_ collection: KeyringCache.Collection, config: KeyringConfig,
                            environment env: [String: String] = Environment.current) throws -> KeyringCache {
        try KeyringCache.open(collection, sessionFolder: sessionFolder, config: config, environment: env)
    }
}
