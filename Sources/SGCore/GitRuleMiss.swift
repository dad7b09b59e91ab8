/// Why no `git.rules` entry answered a request, rule by rule, for `SG_LOG=debug`: a helper that
/// prints nothing leaves git saying only "could not read Username", so the log has to say which
/// part of the URL differed and what to change.
extension GitRules {
    /// One line per rule, naming where it was written and the first condition it failed.
    /// Empty when there are no rules (the caller says that itself).
    public func reasonsForNoMatch(_ request: GitCredential) -> [String] {
        let scheme = request.protocol?.lowercased() ?? ""
        let (host, port) = GitCredential.split(host: request.host ?? "")
        let effectivePort = port ?? GitRules.defaultPort(scheme)
        let path = GitRules.components(request.path ?? "")
        let ambiguous = GitRules.hasAmbiguousSegments(request.path ?? "")
        let fromSecrets = secretURLs.keys.sorted().flatMap { secretURLs[$0] ?? [] }
        return (rules + fromSecrets).map { rule, p in
            let name = "rule \(rule.url) (\(rule.origin.isEmpty ? "config" : rule.origin))"
            if p.scheme != scheme { return "\(name): protocol is \(p.scheme), git asked for \(scheme.isEmpty ? "none" : scheme)" }
            if scheme == "http" && !rule.allowHTTP { return "\(name): plain http needs allow-http: true on the rule" }
            if p.host != host { return "\(name): host is \(p.host), git asked for \(host.isEmpty ? "none" : host)" }
            let rulePort = p.port ?? GitRules.defaultPort(p.scheme)
            if rulePort != effectivePort {
                return "\(name): port is \(rulePort.map(String.init) ?? "none"), git asked for \(effectivePort.map(String.init) ?? "none")"
            }
            if !p.path.isEmpty && request.path == nil {
                return "\(name): the rule has a path and git sent none; run: git config --global credential.useHttpPath true"
            }
            if !p.path.isEmpty && ambiguous {
                return "\(name): the request path has a dot segment or an encoded separator, which never matches a path rule"
            }
            if p.path.count > path.count || Array(path.prefix(p.path.count)) != p.path {
                return "\(name): path /\(p.path.joined(separator: "/")) is not a prefix of /\(path.joined(separator: "/"))"
            }
            let fixed = rule.username ?? secretUsernames[rule.secret]
            if let wanted = request.username, let fixed, wanted != fixed {
                return "\(name): the rule's user is \(fixed), git asked for \(wanted)"
            }
            return "\(name): matches"
        }
    }
}
