import Foundation
import SGTestSupport
import XCTest

/// Issue 16, what an installed tool says about itself: every tool answers `--version` with
/// VERSION's content, both as its own executable (what `swift build` makes) and through the link
/// the Debian package installs, where sg-helpers and sg-commands run the tool their argv[0]
/// names; and help and errors point at the man pages an installed machine has.
final class InstalledToolTests: XCTestCase {
    /// The tool names each shipped binary answers to, read from the binary itself (its usage
    /// message for a name it does not know), so a tool added to a table is checked here too.
    func toolNames(of binary: String, home: URL) throws -> [String] {
        let dir = try TestPaths.makeTempDir("names")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("no-such-tool").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: TestPaths.binary(binary))
        let run = try ToolRunner.run(link, environment: ToolRunner.environment(home: home), timeout: 30)
        XCTAssertEqual(run.status, 64, "\(binary) run by an unknown name: \(run.stderrText)")
        guard let list = run.stderrText.range(of: "run as one of ")?.upperBound,
              let end = run.stderrText[list...].range(of: " (")?.lowerBound else {
            XCTFail("\(binary)'s usage message lists no tool names: \(run.stderrText)")
            return []
        }
        return run.stderrText[list..<end].components(separatedBy: ", ")
    }

    var version: String {
        get throws {
            try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    func testEveryToolAnswersVersionItselfAndThroughItsLink() throws {
        let home = try TestPaths.makeTempDir("version")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ToolRunner.environment(home: home)
        let version = try version
        let links = try TestPaths.makeTempDir("links")
        defer { try? FileManager.default.removeItem(at: links) }

        var checked: [String] = []
        for binary in ["sg-helpers", "sg-commands"] {
            let names = try toolNames(of: binary, home: home)
            XCTAssertFalse(names.isEmpty)
            let own = try ToolRunner.run(TestPaths.binary(binary), ["--version"], environment: env, timeout: 30)
            XCTAssertEqual(own.stdoutText, "\(binary) \(version)\n")
            for name in names {
                let link = links.appendingPathComponent(name).path
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: TestPaths.binary(binary))
                for path in [TestPaths.binary(name), link] {
                    let run = try ToolRunner.run(path, ["--version"], environment: env, timeout: 30)
                    XCTAssertEqual(run.status, 0, "\(path) --version: \(run.stderrText)")
                    XCTAssertEqual(run.stdoutText, "\(name) \(version)\n", path)
                }
                checked.append(name)
            }
        }
        // The tools the README lists must all be in one of the two binaries.
        for tool in ["git-credential-sg", "sg-askpass", "sg-ssh-key", "sg-exec", "sg-secret", "sg-token",
                     "sg-watch", "sg-doctor", "sg-aws-credential", "sg-ansible-vault-client", "docker-credential-sg",
                     "sg-kube-credential"] {
            XCTAssertTrue(checked.contains(tool), "\(tool) is in neither sg-helpers nor sg-commands")
        }
        let sim = try ToolRunner.run(TestPaths.binary("sg-sim"), ["--version"], environment: env, timeout: 30)
        XCTAssertEqual(sim.stdoutText, "sg-sim \(version)\n")
    }

    /// Through the link, a tool is the tool: git-credential-sg ignores an action it does not know
    /// (exit 0, nothing printed) and sg-secret's usage errors are its own.
    func testLinkedToolsBehaveAsThemselves() throws {
        let home = try TestPaths.makeTempDir("linked")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ToolRunner.environment(home: home)
        let gcs = home.appendingPathComponent("git-credential-sg").path
        try FileManager.default.createSymbolicLink(atPath: gcs, withDestinationPath: TestPaths.binary("sg-helpers"))
        let ignored = try ToolRunner.run(gcs, ["capability"], environment: env, stdin: Data("\n".utf8), timeout: 30)
        XCTAssertEqual(ignored.status, 0, ignored.stderrText)
        XCTAssertEqual(ignored.stdout, Data())

        let secret = home.appendingPathComponent("sg-secret").path
        try FileManager.default.createSymbolicLink(atPath: secret, withDestinationPath: TestPaths.binary("sg-commands"))
        let usage = try ToolRunner.run(secret, ["--no-such-flag"], environment: env, timeout: 30)
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderrText.contains("sg-secret"), usage.stderrText)
    }

    func testHelpAndConfigErrorsPointAtTheManPages() throws {
        let home = try TestPaths.makeTempDir("manpages")
        defer { try? FileManager.default.removeItem(at: home) }
        let config = home.appendingPathComponent("config.yaml").path
        FileManager.default.createFile(atPath: config, contents: Data("version: 1\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        let env = ToolRunner.environment(home: home, ["SG_CONFIG": config])
        for tool in ["git-credential-sg", "sg-askpass", "sg-secret", "sg-exec", "sg-token", "sg-ssh-key",
                     "sg-watch", "sg-doctor", "sg-aws-credential", "sg-ansible-vault-client", "docker-credential-sg",
                     "sg-kube-credential"] {
            let help = try ToolRunner.run(TestPaths.binary(tool), ["--help"], environment: env, timeout: 30)
            // ArgumentParser wraps help at 80 columns, which may break the line between the words.
            let words = (help.stdoutText + help.stderrText).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(words.contains("man sg-config"), "\(tool) --help: \(words)")
        }
        let unknown = try ToolRunner.run(TestPaths.binary("sg-secret"), ["sg:nothing"], environment: env, timeout: 30)
        XCTAssertEqual(unknown.status, 67, unknown.stderrText)
        XCTAssertTrue(unknown.stderrText.contains("man sg-config"), unknown.stderrText)

        FileManager.default.createFile(atPath: config, contents: Data("""
            version: 1
            secrets:
              x: {api-key: {env: SG_TEST_KEY}}

            """.utf8), attributes: [.posixPermissions: 0o600])
        let noProfile = try ToolRunner.run(TestPaths.binary("sg-secret"), ["sg:x"], environment: env, timeout: 30)
        XCTAssertEqual(noProfile.status, 78, noProfile.stderrText)
        XCTAssertTrue(noProfile.stderrText.contains("no profiles defined (see man sg-config)"), noProfile.stderrText)
    }

    /// The reason for two binaries (docs/decisions.md "Installation and footprint"): the hot-path
    /// tools' binary must not carry swift-argument-parser, whose conformance records cost every run
    /// of one binary holding all tools 2–13 % more instructions. Its module name is in every symbol
    /// and metadata record it brings, even stripped.
    func testHotPathBinaryCarriesNoArgumentParser() throws {
        let marker = Data("ArgumentParser".utf8)
        for (binary, expected) in [("sg-helpers", false), ("git-credential-sg", false), ("sg-askpass", false),
                                   ("sg-aws-credential", false), ("sg-commands", true)] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: TestPaths.binary(binary)))
            XCTAssertEqual(bytes.range(of: marker) != nil, expected,
                           expected ? "\(binary) should be the ArgumentParser binary" : "\(binary) links ArgumentParser")
        }
    }
}
