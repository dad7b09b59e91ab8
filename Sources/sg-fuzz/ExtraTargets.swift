import SGCore
import SGTransport

/// Targets for parsers that landed with later branches.
let extraFuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "git-credential", summary: "GitCredential.parse (git's credential protocol on stdin)", run: fuzzGitCredential),
    FuzzTarget(name: "cert-names", summary: "SGTransport.CertificateNamesProbe.subjectAlternativeNames (libcurl's certinfo text of a server certificate)", run: fuzzCertNames),
    FuzzTarget(name: "http-header", summary: "SGTransport.HeaderNumber: Retry-After (seconds, HTTP-dates) and header numbers", run: fuzzHTTPHeaderNumber),
]

/// Rules with and without paths, ports, users and http, so a parsed request reaches every
/// branch of the match and of the SG_LOG=debug explanation of a miss.
let fuzzGitRules: GitRules = {
    var git = GitConfig()
    var plain = GitRule(url: "http://h.example:8080", secret: "s")
    plain.allowHTTP = true
    var user = GitRule(url: "https://git.example/team/sub", secret: "s")
    user.username = "svc"
    git.rules = [GitRule(url: "https://git.example/team", secret: "s"), plain, user,
                 GitRule(url: "https://[::1]:9443/x", secret: "s")]
    return GitRules(git)
}()

func fuzzGitCredential(_ raw: UnsafeRawBufferPointer) {
    guard let c = try? GitCredential.parse(raw) else { return }
    _ = c.url
    _ = c.hostName
    _ = c.port
    _ = fuzzGitRules.match(c)
    _ = fuzzGitRules.reasonsForNoMatch(c)
}

func fuzzCertNames(_ raw: UnsafeRawBufferPointer) {
    _ = CertificateNamesProbe.subjectAlternativeNames(text(raw))
}
