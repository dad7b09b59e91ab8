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
/// not a stuck test run).
public enum ToolRunner {
    public static func run(_ path: String, _ args: [String] = [], environment: [String: String],
                           stdin: Data? = nil, timeout: TimeInterval = 60, cwd: URL? = nil) throws -> ToolRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = environment
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
        try p.run()
        if let stdin {
            try? inp.fileHandleForWriting.write(contentsOf: stdin)
            try? inp.fileHandleForWriting.close()
        }
        final class Box: @unchecked Sendable { var out = Data(); var err = Data() }
        let box = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { box.out = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { box.err = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            throw NSError(domain: "ToolRunner", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path) \(args.first ?? "") hung for \(Int(timeout)) s"])
        }
        p.waitUntilExit()
        group.wait()
        return ToolRun(status: p.terminationStatus, stdout: box.out, stderr: box.err)
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
