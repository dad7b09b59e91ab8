import SGCore

/// Targets for parsers that landed with later branches.
let extraFuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "git-credential", summary: "GitCredential.parse (git's credential protocol on stdin)", run: fuzzGitCredential),
    FuzzTarget(name: "http-header", summary: "SGTransport.HeaderNumber: Retry-After (seconds, HTTP-dates) and header numbers", run: fuzzHTTPHeaderNumber),
    FuzzTarget(name: "event-stream", summary: "SGSafeguard.ServerSentEvents + SignalRRecords (A2A event hub), whole and in chunks", run: fuzzEventStream),
]

func fuzzGitCredential(_ raw: UnsafeRawBufferPointer) {
    guard let c = try? GitCredential.parse(raw) else { return }
    _ = c.url
    _ = c.hostName
    _ = c.port
}
