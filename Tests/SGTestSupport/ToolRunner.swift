import Foundation

/// The outcome of running one of sg's binaries.
public struct ToolRun: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs a binary with a given environment and stdin, with a hard time limit (a hang is a failure,
/// not a stuck test run): at the limit the child gets SIGKILL, which it cannot ignore, and the
/// run throws. This is the one runner: every test that runs a process to completion uses it.
///
/// The child is started with posix_spawn (`Spawned`), not Foundation's `Process`, whose exit
/// detection waits for every process holding an inherited descriptor. stdout and stderr go to
/// unlinked temporary files and stdin comes from one: there is no pipe to drain, so no deadlock,
/// and a process the child leaves behind with its output open cannot hold up the run.
public enum ToolRunner {
    public static func run(_ path: String, _ args: [String] = [], environment: [String: String],
                           stdin: Data? = nil, timeout: TimeInterval = 60, cwd: URL? = nil) throws -> ToolRun {
        let out = try ScratchFile(), err = try ScratchFile()
        let input = try stdin.map { try ScratchFile(holding: $0) }
        let child = try Spawned([path] + args, environment: environment, baseEnvironment: false, cwd: cwd?.path,
                                stdin: input?.fd ?? -1, stdout: out.fd, stderr: err.fd)
        let deadline = Date(timeIntervalSinceNow: timeout)
        while child.isRunning {
            if Date() > deadline {
                child.wait(timeout: 0)   // SIGKILL, then reaped
                throw NSError(domain: "ToolRunner", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path) \(args.first ?? "") hung for \(Int(timeout)) s"])
            }
            usleep(5_000)
        }
        return ToolRun(status: child.wait(timeout: 0), stdout: out.contents(), stderr: err.contents())
    }

    /// A clean environment for a tool run: PATH, HOME and the given variables only.
    public static func environment(home: URL, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home.path, "LANG": "C.UTF-8",
                   "SWIFT_BACKTRACE": "enable=no", "XDG_CONFIG_HOME": home.appendingPathComponent(".config").path,
                   "XDG_RUNTIME_DIR": home.appendingPathComponent("run").path]
        try? FileManager.default.createDirectory(at: home.appendingPathComponent("run"), withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        for (k, v) in extra { env[k] = v }
        return env
    }
}

/// The leak check every tool's tests use: no seeded secret value or API key may appear in a
/// tool's stdout/stderr (except the answer it exists to print), in any file it wrote, or in its
/// children's argv and environment (except variables sg-exec was asked to set).
public struct LeakCheck {
    /// Values that must never leak, with a label for the failure message (never the value itself).
    public let needles: [(label: String, value: Data)]

    public init(needles: [(label: String, value: String)]) {
        self.needles = needles.filter { $0.value.utf8.count >= 6 }.map { ($0.label, Data($0.value.utf8)) }
    }

    /// Every API key and password the simulator seeded, and its client key passphrases.
    public init(simulator ready: SimReady) {
        var list: [(String, String)] = []
        for (name, key) in ready.apiKeys { list.append(("API key of \(name)", key)) }
        for (name, pw) in ready.passwords { list.append(("password \(name)", pw)) }
        list.append(("client key passphrase", ready.clientKeyPassphrase))
        list.append(("ssh key passphrase", ready.sshKeyPassphrase))
        for (name, u) in ready.users.rsts { list.append(("rSTS password of \(name)", u.password)) }
        for (name, u) in ready.users.identity { list.append(("Identity password of \(name)", u.password)) }
        list.append(("Identity service secret", ready.users.identityService.secret))
        self.init(needles: list)
    }

    /// The labels of the needles found in `data`, after removing one copy of each allowed answer.
    public func leaks(in data: Data, allowing answers: [Data] = []) -> [String] {
        var hay = data
        for answer in answers where !answer.isEmpty {
            if let r = hay.range(of: answer) { hay.removeSubrange(r) }
        }
        return needles.filter { hay.range(of: $0.value) != nil }.map(\.label)
    }

    /// Checks a run's output: stdout may hold exactly the answers given, stderr nothing secret.
    public func check(_ run: ToolRun, answers: [Data] = [], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        leaks(in: run.stdout, allowing: answers).map { "stdout: \($0)" } + leaks(in: run.stderr).map { "stderr: \($0)" }
    }

    /// Every regular file under `dir` (recursively) modified at or after `since`, checked for needles;
    /// files listed in `allowed` (e.g. the 0600 cache a test expects) are checked for mode 0600 instead.
    public func checkFiles(under dir: URL, since: Date, allowed: Set<String> = []) -> [String] {
        var problems: [String] = []
        let fm = FileManager.default
        guard let e = fm.enumerator(at: dir, includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey]) else { return [] }
        for case let url as URL in e {
            let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .isRegularFileKey])
            guard values?.isRegularFile == true, let m = values?.contentModificationDate, m >= since.addingTimeInterval(-1) else { continue }
            if allowed.contains(url.path) {
                let mode = ((try? fm.attributesOfItem(atPath: url.path)[.posixPermissions]) as? NSNumber)?.intValue ?? 0
                if mode & 0o077 != 0 { problems.append("\(url.path): mode \(String(mode, radix: 8)), want 0600") }
                continue
            }
            guard let data = try? Data(contentsOf: url) else { continue }
            for label in leaks(in: data) { problems.append("\(url.path): \(label)") }
        }
        return problems
    }

    /// A shell snippet for a child process that records its own argv and environment into `file`
    /// (NUL-separated) so a test can check what sg handed it.
    public static func childProbe(writingTo file: String) -> String {
        "cat /proc/$$/cmdline > '\(file)'; printf '\\n--env--\\n' >> '\(file)'; cat /proc/$$/environ >> '\(file)'"
    }
}
