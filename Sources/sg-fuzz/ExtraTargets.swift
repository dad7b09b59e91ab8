import SGCore

/// Targets for parsers that landed with later branches.
let extraFuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "git-credential", summary: "GitCredential.parse (git's credential protocol on stdin)", run: fuzzGitCredential),
]

func fuzzGitCredential(_ raw: UnsafeRawBufferPointer) {
    guard let c = try? GitCredential.parse(raw) else { return }
    _ = c.url
    _ = c.hostName
    _ = c.port
}
