/// Maps a git credential request to the sg secret that answers it, by the URL-prefix rules of
/// `git.rules` (docs/config.md): longest match wins, on component boundaries only. A secret's
/// `git-urls:` are further URL prefixes for which git's `credential.<url>.sgSecret` may choose it
/// (`match(_:secret:)`); they answer nothing by themselves.
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
    /// The secrets' `git-urls`, as rules with the default cache TTL, by secret name.
    let secretURLs: [String: [(rule: GitRule, pattern: Pattern)]]
    let secretUsernames: [String: String]

    /// Rules whose URL does not parse are dropped here; the config loader already checked the scheme.
    public init(_ git: GitConfig, secrets: [String: SecretSpec] = [:]) {
        rules = git.rules.compactMap { r in Pattern(url: r.url).map { (r, $0) } }
        var names: [String: String] = [:]
        var urls: [String: [(rule: GitRule, pattern: Pattern)]] = [:]
        for (k, v) in secrets {
            if let u = v.username { names[k] = u }
            urls[k] = v.gitURLs.compactMap { url in Pattern(url: url).map { (GitRule(url: url, secret: k), $0) } }
        }
        secretUsernames = names
        secretURLs = urls
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
    /// A request path with a dot segment or an encoded separator (`hasAmbiguousSegments`) matches
    /// only rules without a path. Among those, the most path components wins, then a rule naming
    /// the user, then file order.
    public func match(_ request: GitCredential) -> Match? {
        best(request, among: rules)
    }

    /// The best way config ties `secret` to git for `request`: a `git.rules` entry for that secret
    /// or one of its `git-urls`, matched as `match(_:)` matches. nil when config does not give
    /// this secret to git for this URL, so a repository's `credential.<url>.sgSecret` (or
    /// `GIT_CONFIG_*`) can choose only among secrets the user meant for git, and only where meant.
    public func match(_ request: GitCredential, secret: String) -> Match? {
        best(request, among: rules.filter { $0.rule.secret == secret } + (secretURLs[secret] ?? []))
    }

    private func best(_ request: GitCredential, among candidates: [(rule: GitRule, pattern: Pattern)]) -> Match? {
        guard let scheme = request.protocol?.lowercased(), let hostText = request.host, !hostText.isEmpty else { return nil }
        let (host, port) = GitCredential.split(host: hostText)
        let effectivePort = port ?? GitRules.defaultPort(scheme)
        let rawPath = request.path ?? ""
        let path = GitRules.components(rawPath)
        let ambiguous = GitRules.hasAmbiguousSegments(rawPath)
        var best: (match: Match, score: (Int, Int))?
        for (rule, p) in candidates {
            guard p.scheme == scheme, scheme == "https" || (scheme == "http" && rule.allowHTTP) else { continue }
            guard p.host == host, (p.port ?? GitRules.defaultPort(p.scheme)) == effectivePort else { continue }
            guard p.path.isEmpty || !ambiguous else { continue }
            guard p.path.count <= path.count, Array(path.prefix(p.path.count)) == p.path else { continue }
            let fixed = rule.username ?? secretUsernames[rule.secret]
            if let wanted = request.username, let fixed, wanted != fixed { continue }
            let score = (p.path.count, rule.username != nil ? 1 : 0)
            if let b = best, b.score >= score { continue }
            best = (Match(rule: rule, username: fixed ?? request.username), score)
        }
        return best?.match
    }

    /// Whether `path` may name another place on the server than its components spell: a `.` or
    /// `..` segment, written raw or percent-encoded in any case (`%2e%2E`), also with a `;`
    /// parameter after it (`..;x`, which Java servlet containers read as `..`), or a `/` or `\`
    /// hidden in a segment (`%2f`, `%5c`; a raw `\` splits segments as some servers do). git
    /// collapses a literal `/../` but passes `team/%2e%2e/other` on, and the server serves `other`
    /// for it: a prefix comparison would take it for `team`. Checked on bytes, after one decoding.
    public static func hasAmbiguousSegments(_ path: String) -> Bool {
        for segment in path.utf8.split(whereSeparator: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }) {
            let decoded = GitCredential.percentDecodedBytes(segment)
            let name = decoded.prefix { $0 != UInt8(ascii: ";") }
            if name.elementsEqual(".".utf8) || name.elementsEqual("..".utf8) { return true }
            if decoded.contains(UInt8(ascii: "/")) || decoded.contains(UInt8(ascii: "\\")) { return true }
        }
        return false
    }
}
