import SGCore
import SGSSH
import SGTransport

/// Path rules for one host; the fuzzer varies the request.
let fuzzGitRules: GitRules = {
    var git = GitConfig()
    for (url, secret) in [("https://git.example", "host"), ("https://git.example/team", "team"), ("https://git.example/team/sub", "sub")] {
        git.rules.append(GitRule(url: url, secret: secret))
    }
    var other = SecretSpec(name: "other")
    other.gitURLs = ["https://git.example/other"]
    return GitRules(git, secrets: ["other": other])
}()

func fuzzGitCredential(_ raw: UnsafeRawBufferPointer) {
    guard let c = try? GitCredential.parse(raw) else { return }
    _ = c.url
    _ = c.hostName
    _ = c.port
    // A path that can name another repository than it spells never reaches a path rule.
    let ambiguous = GitRules.hasAmbiguousSegments(c.path ?? "")
    for m in [fuzzGitRules.match(c), fuzzGitRules.match(c, secret: "other"), fuzzGitRules.match(c, secret: "team")] {
        if let m, ambiguous, m.rule.secret != "host" {
            fatalError("GitRules: path rule \(m.rule.url) matched an ambiguous path")
        }
    }
    _ = fuzzGitRules.reasonsForNoMatch(c)
}

func fuzzCertNames(_ raw: UnsafeRawBufferPointer) {
    _ = CertificateNamesProbe.subjectAlternativeNames(text(raw))
}

func fuzzTerminalText(_ raw: UnsafeRawBufferPointer) {
    let t = text(raw)
    let escaped = t.escapingControlCharacters()
    if escaped.containsControlCharacters { fatalError("escapingControlCharacters left a control character") }
    if escaped.escapingControlCharacters() != escaped { fatalError("escapingControlCharacters is not idempotent") }
    if !t.containsControlCharacters && escaped.utf8.count < t.utf8.count { fatalError("escaping lost text") }
    let trimmed = t.trimmingASCIIWhitespace()
    if let f = trimmed.utf8.first, ASCII.isWhitespace(f) { fatalError("trim left leading whitespace") }
    if let l = trimmed.utf8.last, ASCII.isWhitespace(l) { fatalError("trim left trailing whitespace") }
    // An askpass prompt with a control character is never a prompt sg answers.
    switch AskpassPrompt.classify(t) {
    case .keyPassphrase, .password, .gitUsername, .gitPassword:
        if t.containsControlCharacters { fatalError("askpass classified a prompt holding a control character") }
    default: break
    }
}
