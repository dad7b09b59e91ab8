/// Maps a git credential request to the sg secret that answers it, by the URL-prefix rules of
/// `git.rules` (docs/config.md): longest match wins, on component boundaries only.
///
///     let rules = GitRules(config.git, secrets: config.secrets)
///     if let m = rules.match(request) { ... m.rule.secret, m.username ... }
public struct GitRules: Sendable {
    /// A rule's URL taken apart once.
    public struct Pattern: Sendable, Equatable {
        public var scheme: String
        public var host: String
        /// Explicit port; nil means the scheme's default.
        public var port: Int?
        public var path: [String]

        /// Parses `scheme://host[:port][/path]` (no user info, query or fragment).
        public init?(url: String) {
            guard let sep = url.firstRange(of: "://") else { return nil }
            scheme = url[..<sep.lowerBound].lowercased()
            let rest = url[sep.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = String(rest[..<slash])
            guard !authority.isEmpty, !authority.contains("@") else { return nil }
            let (h, p) = GitCredential.split(host: authority)
            let bracketed = authority.hasPrefix("[") && authority.hasSuffix("]")
            if p == nil && authority.contains(":") && !bracketed { return nil }   // "host:" or "host:abc"
            host = h
            port = p
            path = GitRules.components(String(rest[slash...]))
            if path.contains(where: { $0 == "." || $0 == ".." }) { return nil }
        }
    }

    /// The rule that matched and what git should be told.
    public struct Match: Sendable {
        public let rule: GitRule
        /// The user name to answer: the rule's, else the secret's, else git's own.
        public let username: String?
    }

    public let rules: [(rule: GitRule, pattern: Pattern)]
    let secretUsernames: [String: String]

    /// Rules whose URL does not parse are dropped here; the config loader already checked the scheme.
    public init(_ git: GitConfig, secrets: [String: SecretSpec] = [:]) {
        rules = git.rules.compactMap { r in Pattern(url: r.url).map { (r, $0) } }
        var names: [String: String] = [:]
        for (k, v) in secrets { if let u = v.username { names[k] = u } }
        secretUsernames = names
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func defaultPort(_ scheme: String) -> Int? {
        switch scheme {
        case "https": return 443
        case "http": return 80
        default: return nil
        }
    }

    /// The best rule for `request`, or nil when none applies (git then asks its next helper).
    ///
    /// A rule applies when the scheme is equal (`http` only for `allow-http` rules), the host is
    /// equal (case-insensitive, whole name), the port is equal (a missing port is the scheme's
    /// default), its path components are a prefix of the request's (so a path rule needs
    /// `credential.useHttpPath`), and a user name it fixes (or its secret's) agrees with git's.
    /// Among those, the most path components wins, then a rule naming the user, then file order.
    public func match(_ request: GitCredential) -> Match? {
        guard let scheme = request.protocol?.lowercased(), let hostText = request.host, !hostText.isEmpty else { return nil }
        let (host, port) = GitCredential.split(host: hostText)
        let effectivePort = port ?? GitRules.defaultPort(scheme)
        let path = GitRules.components(request.path ?? "")
        var best: (match: Match, score: (Int, Int))?
        for (rule, p) in rules {
            guard p.scheme == scheme, scheme == "https" || (scheme == "http" && rule.allowHTTP) else { continue }
            guard p.host == host, (p.port ?? GitRules.defaultPort(p.scheme)) == effectivePort else { continue }
            guard p.path.count <= path.count, Array(path.prefix(p.path.count)) == p.path else { continue }
            let fixed = rule.username ?? secretUsernames[rule.secret]
            if let wanted = request.username, let fixed, wanted != fixed { continue }
            let score = (p.path.count, rule.username != nil ? 1 : 0)
            if let b = best, b.score >= score { continue }
            best = (Match(rule: rule, username: fixed ?? request.username), score)
        }
        return best?.match
    }
}
