/// One `docker.rules` entry: the registry whose credential docker-credential-sg answers, and
/// the secret that holds its password (docs/config.md `docker:`).
public struct DockerRule: Sendable {
    /// `DockerRegistry.key` of the rule's `registry:`.
    public var registry: String
    public var secret: String
    public var username: String?
    /// Seconds a fetched password is kept in the session keyring (0: fetch on every `get`).
    public var cacheTTL: Int = 300
    /// Where the rule was written, for messages.
    public var origin: String = ""
    public init(registry: String, secret: String) { self.registry = registry; self.secret = secret }
}

/// The `docker:` section: rules by registry, and whether `store` keeps unmapped registries'
/// credentials in the keyring (as docker-credential-secretservice does).
public struct DockerConfig: Sendable {
    public var rules: [DockerRule] = []
    public var storeUnmapped = false
    public init() {}

    /// The rule for a registry key; the first one wins (the user's file comes first).
    public func rule(for registry: String) -> DockerRule? { rules.first { $0.registry == registry } }
}

extension ConfigParser {
    /// `docker: {store-unmapped: BOOL, rules: [{registry, secret, username?, cache-ttl?}]}`.
    func parseDocker(_ node: YNode) throws -> DockerConfig {
        var d = DockerConfig()
        for (key, value) in try node.mapping("docker", allowed: ["store-unmapped", "rules"]) {
            if key == "store-unmapped" { d.storeUnmapped = try value.bool("docker.store-unmapped"); continue }
            for r in try value.list("docker.rules") {
                let m = try r.mapping("a docker rule", allowed: ["registry", "secret", "username", "cache-ttl"])
                let get = { (k: String) in m.first(where: { $0.key == k })?.value }
                guard let registry = get("registry"), let secret = get("secret") else { throw r.error("a docker rule needs registry and secret") }
                let text = try registry.string("registry")
                guard let key = DockerRegistry.key(text) else {
                    throw registry.error("registry '\(text.prefix(80))' is not a registry address: host[:port] or https://host[:port]")
                }
                if let earlier = d.rules.first(where: { $0.registry == key }) {
                    throw registry.error("a second rule for registry \(key) (the first is at \(earlier.origin))")
                }
                var rule = DockerRule(registry: key, secret: try secret.string("secret"))
                rule.username = try get("username")?.string("username")
                if let t = get("cache-ttl") { rule.cacheTTL = try t.int("cache-ttl", range: 0...86400) }
                rule.origin = "\(file):\(r.line)"
                d.rules.append(rule)
            }
        }
        return d
    }
}
