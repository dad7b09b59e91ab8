/// One `kube:` entry: the name a kubeconfig's exec plugin passes (`sg-kube-credential NAME`),
/// the reference its bearer token comes from, and how long a fetched A2A value is kept
/// (docs/config.md `kube:`).
public struct KubeEntry: Sendable {
    public var name: String
    /// `sg:SECRET` (a password or API-key field fetched by A2A) or `sg:token/PROFILE` (the
    /// profile's cached user token).
    public var token: SecretReference
    /// Seconds an A2A value is kept in the session keyring so that kubectl, which runs the plugin
    /// on every command, is answered without a round trip (0: fetch every time). `sg:token/…`
    /// is kept by the token cache until the token expires, whatever this says.
    public var cacheSeconds: Int = 300
    public var origin: String = ""
    public init(name: String, token: SecretReference) { self.name = name; self.token = token }
}

/// The `kube:` section: entries by name.
public struct KubeConfig: Sendable {
    public var entries: [String: KubeEntry] = [:]
    public init() {}
}

extension ConfigParser {
    /// `kube: {NAME: {token: REF, cache-seconds: N}}`.
    func parseKube(_ node: YNode) throws -> KubeConfig {
        var k = KubeConfig()
        for (name, value) in try node.namedMapping("kube") {
            guard SecretReference.isValidName(name) else { throw value.error("bad kube entry name '\(name.prefix(64))': use letters, digits, '.', '_', '-'") }
            let m = try value.mapping("kube entry \(name)", allowed: ["token", "cache-seconds"])
            guard let tokenNode = m.first(where: { $0.key == "token" })?.value else {
                throw value.error("kube entry \(name) needs 'token: sg:SECRET' or 'token: sg:token/PROFILE'")
            }
            var entry = KubeEntry(name: name, token: try tokenNode.reference("kube entry \(name): token"))
            if let c = m.first(where: { $0.key == "cache-seconds" })?.value { entry.cacheSeconds = try c.int("cache-seconds", range: 0...86400) }
            entry.origin = "\(file):\(value.line)"
            k.entries[name] = entry
        }
        return k
    }
}
