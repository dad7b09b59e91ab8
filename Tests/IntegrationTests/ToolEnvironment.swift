import Foundation
import SGTestSupport
import XCTest

/// A private environment for running the real binaries against a simulator: own HOME and XDG
/// folders, no system git config, no prompts, the package's binaries first on PATH, and an sg
/// config in the sim's state folder (so its relative `apikeys/` paths resolve).
final class ToolEnvironment {
    let home: URL
    let sim: Simulator
    private(set) var configPath: String
    var extra: [String: String] = [:]

    init(sim: Simulator, label: String) throws {
        self.sim = sim
        home = try TestPaths.makeTempDir(label)
        for d in [".config", "run", "state", "cache"] {
            try FileManager.default.createDirectory(at: home.appendingPathComponent(d), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        configPath = sim.ready.config
    }

    deinit { try? FileManager.default.removeItem(at: home) }

    /// The sim's config with its `git:` section replaced by `git` (YAML text, already indented).
    func writeConfig(git: String, name: String = "test-config.yaml", transform: (String) -> String = { $0 }) throws {
        let original = try String(contentsOfFile: sim.ready.config, encoding: .utf8)
        var kept: [Substring] = []
        var skipping = false
        for line in original.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#", first != "-" {
                skipping = line.hasPrefix("git:")
            }
            if !skipping { kept.append(line) }
        }
        let text = transform(kept.joined(separator: "\n")) + "\ngit:\n" + git + "\n"
        let dir = (sim.ready.config as NSString).deletingLastPathComponent
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        configPath = path
    }

    /// For a plugin test: the sim's config with the top-level YAML `section` added, and the host
    /// tool the test runs (installed by scripts/bootstrap) checked first, so that its absence fails
    /// the test with what to run instead of failing later in an unclear way.
    static func forHostTool(_ path: String, sim: Simulator, label: String, section: String) throws -> ToolEnvironment {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path), "\(path) missing: run scripts/bootstrap")
        let env = try ToolEnvironment(sim: sim, label: label)
        try env.writeConfig(git: "  rules: []", transform: { $0 + "\n" + section })
        return env
    }

    var environment: [String: String] {
        var env: [String: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        env["PATH"] = TestPaths.binDir.path + ":" + (inherited["PATH"] ?? "/usr/bin:/bin")
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        env["XDG_RUNTIME_DIR"] = home.appendingPathComponent("run").path
        env["XDG_STATE_HOME"] = home.appendingPathComponent("state").path
        env["XDG_CACHE_HOME"] = home.appendingPathComponent("cache").path
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["SG_CONFIG"] = configPath
        env["SG_KEYRING"] = "file"
        env["LANG"] = "C.UTF-8"
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Runs `argv` (argv[0] looked up on PATH) with `stdin`, in `cwd`, through SGTestSupport's
    /// ToolRunner: the one runner, which kills a child that outlives `timeout` with SIGKILL.
    @discardableResult
    func run(_ argv: [String], stdin: Data = Data(), cwd: URL? = nil, timeout: TimeInterval = 60) throws -> ToolRun {
        try ToolRunner.run("/usr/bin/env", argv, environment: environment, stdin: stdin, timeout: timeout, cwd: cwd ?? home)
    }

    func run(_ argv: [String], input: String, cwd: URL? = nil) throws -> ToolRun {
        try run(argv, stdin: Data(input.utf8), cwd: cwd)
    }

    /// A2A password fetches the sim has logged since the last `resetLog`.
    func a2aFetches() throws -> Int {
        try sim.log().filter { $0.path.lowercased().contains("/a2a/") && $0.method == "GET" }.count
    }
}
