import Foundation
import SGCore
import SGResolver
@testable import SGTools
import SGTestSupport
import Synchronization
import XCTest

/// sg-exec's plan after collection: how values, defaults and failures are put together
/// (`ExecPlan.resolve`, over a resolver whose tokens come from a test source, so no network), and
/// the helpers that start the child (`CommandLookup`, `SignalName`, `goQuote`).
final class ExecResolutionTests: XCTestCase {
    /// `sg:token/NAME` answers with the text of `values[NAME]` (missing: login required).
    final class TableTokens: TokenSource, @unchecked Sendable {
        let values: [String: [UInt8]]
        let asked = Mutex(0)
        init(_ values: [String: [UInt8]]) { self.values = values }
        func token(profile: Profile) throws -> ResolvedSecret {
            asked.withLock { $0 += 1 }
            guard let v = values[profile.name] else { throw SGError.loginRequired(profile: profile.name) }
            return ResolvedSecret(value: SecretBytes(bytes: v), kind: .token)
        }
    }

    func resolver(_ tokens: TableTokens) -> Resolver {
        var config = Config()
        for name in ["full", "empty", "nul", "none"] { config.profiles[name] = .identity(IdentityProfile(name: name)) }
        return Resolver(config: config, tokenSource: tokens)
    }

    func variable(_ name: String, _ source: ExecVariable.Source, file: Bool = false, default d: String? = nil) -> ExecVariable {
        ExecVariable(name: name, source: source, asFile: file, defaultValue: d, origin: "secrets.yml:\(name.count)")
    }

    func token(_ profile: String) -> ExecVariable.Source { .reference(.token(profile: profile)) }

    func testValuesDefaultsAndWhatCountsAsSecret() throws {
        let tokens = TableTokens(["full": Array("tok".utf8), "empty": [], "nul": [0x61, 0, 0x62]])
        let out = try ExecPlan.resolve([
            variable("A", token("full")),
            variable("B", .literal("plain")),
            variable("C", .literal(""), default: "lit-default"),
            variable("D", token("empty"), default: "ref-default"),
            variable("E", token("empty")),
            variable("F", token("nul"), file: true),
        ], resolver: resolver(tokens))
        XCTAssertEqual(out.map(\.name), ["A", "B", "C", "D", "E", "F"], "the order given")
        XCTAssertEqual(out.map { $0.value.unsafeString() }, ["tok", "plain", "lit-default", "ref-default", "", "a\u{0}b"])
        XCTAssertEqual(out.map(\.isSecret), [true, false, false, false, true, true], "only fetched values are masked")
        XCTAssertEqual(out.map(\.asFile), [false, false, false, false, false, true])
        XCTAssertEqual(tokens.asked.withLock { $0 }, 3, "one fetch per profile however many variables")
    }

    func testEveryFailureIsReportedAndNothingIsReturned() throws {
        let tokens = TableTokens(["full": Array("s3cr3t".utf8), "nul": Array("s3cr3t\u{0}".utf8)])
        let bad = SGError.badReference("sg:: is not a reference")
        XCTAssertThrowsError(try ExecPlan.resolve([
            variable("OK", token("full")),
            variable("NUL", token("nul")),
            variable("LOGIN", token("none")),
            variable("UNKNOWN", .reference(.named("no-such", field: nil))),
            variable("TYPO", .invalid(text: "sg::", error: bad)),
        ], resolver: resolver(tokens))) { error in
            guard let e = error as? ExecResolutionError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.failures.map(\.variable), ["NUL", "LOGIN", "UNKNOWN", "TYPO"])
            XCTAssertEqual(e.failures.map(\.error.exitCode), [.dataError, .noPermission, .unknownSecret, .unknownSecret])
            XCTAssertEqual(e.exitCode, ExitCode.dataError.rawValue, "the first failure's code")
            XCTAssertEqual(e.lines[1], "LOGIN (sg:token/none, from secrets.yml:5): login required for profile 'none': run: sg-token login -p none")
            XCTAssertTrue(e.lines[0].contains("NUL byte"), e.lines[0])
            XCTAssertFalse(e.lines.joined().contains("s3cr3t"), "no value in a message")
        }
        XCTAssertEqual(ExecResolutionError(failures: []).exitCode, ExitCode.software.rawValue)
    }

    func testCommandLookupAnswersAsAShellDoes() throws {
        let dir = try TestPaths.makeTempDir("lookup")
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("plain"), exe = dir.appendingPathComponent("exe")
        let other = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: false)
        for f in [plain, exe, other.appendingPathComponent("plain")] {
            XCTAssertTrue(FileManager.default.createFile(atPath: f.path, contents: Data("#!/bin/sh\n".utf8)))
        }
        XCTAssertEqual(chmod(exe.path, 0o755), 0)
        XCTAssertEqual(chmod(other.appendingPathComponent("plain").path, 0o755), 0)
        XCTAssertEqual(chmod(plain.path, 0o644), 0)

        func code(_ r: Result<String, CommandStartError>) -> Int32? { if case .failure(let e) = r { return e.code } else { return nil } }
        XCTAssertEqual(try CommandLookup.find("exe", path: dir.path).get(), exe.path)
        XCTAssertEqual(try CommandLookup.find("plain", path: "\(dir.path):\(other.path)").get(), other.path + "/plain",
                       "a match that cannot run is skipped for a later one")
        XCTAssertEqual(code(CommandLookup.find("plain", path: dir.path)), 126)
        XCTAssertEqual(code(CommandLookup.find("missing", path: dir.path)), 127)
        XCTAssertEqual(code(CommandLookup.find("", path: dir.path)), 127)
        XCTAssertEqual(code(CommandLookup.find(dir.path, path: nil)), 126, "a folder named with a slash")
        XCTAssertEqual(code(CommandLookup.find(dir.path + "/nope", path: nil)), 127)
        XCTAssertEqual(try CommandLookup.find(exe.path, path: "/nonexistent").get(), exe.path, "a slash skips PATH")
        XCTAssertEqual(CommandLookup.failure("x", errno: ENOENT).code, 127)
        XCTAssertEqual(CommandLookup.failure("x", errno: ENOTDIR).code, 127)
        XCTAssertEqual(CommandLookup.failure("x", errno: EACCES).code, 126)
        XCTAssertEqual(CommandLookup.failure("x", errno: ENOEXEC).code, 126)
    }

    func testSignalNamesAndNumbers() throws {
        for text in ["TERM", "term", "SIGTERM", "sigterm", "15"] { XCTAssertEqual(try SignalName.parse(text), SIGTERM, text) }
        XCTAssertEqual(try SignalName.parse("HUP"), SIGHUP)
        XCTAssertEqual(try SignalName.parse("usr2"), SIGUSR2)
        XCTAssertEqual(try SignalName.parse("64"), 64)
        for bad in ["0", "65", "-1", "SIG", "", "TERMX", String(repeating: "Z", count: 100)] {
            XCTAssertThrowsError(try SignalName.parse(bad), bad) { e in
                XCTAssertEqual((e as? SGError)?.exitCode, .usage)
                XCTAssertLessThan((e as? SGError)?.message.count ?? 999, 120, "long input is cut in the message")
            }
        }
    }

    func testGoQuoteEscapesControlsAndKeepsUTF8() {
        let quoted = ExecPlan.goQuote(SecretBytes(bytes: Array("é\u{1}\u{7f}\t\u{7}\u{8}\u{c}\u{b}\r".utf8)))
        XCTAssertEqual(quoted.unsafeString(), "\"é\\x01\\x7f\\t\\a\\b\\f\\v\\r\"")
        XCTAssertEqual(ExecPlan.goQuote(SecretBytes(string: "")).unsafeString(), "\"\"")
        let file = ExecPlan.envFileContents([("K", SecretBytes(string: "it's"))])
        XCTAssertEqual(file.unsafeString(), "K=\"it's\"\n", "a single quote only triggers quoting")
    }
}
