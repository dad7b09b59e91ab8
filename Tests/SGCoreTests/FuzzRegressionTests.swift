import Foundation
@testable import SGCore
import SGTestSupport
import XCTest

/// Replays fuzz inputs through the same entry points `sg-fuzz` fuzzes, in the normal test build:
/// every saved crash (`fuzz/regressions/TARGET/*`), every seed (`fuzz/corpus/TARGET/*`), and
/// hand-written hostile inputs (truncated, oversized, invalid UTF-8, NUL bytes) for every target.
/// The plain debug `sg-fuzz` has no libFuzzer and only replays (docs/reliability.md).
final class FuzzRegressionTests: XCTestCase {
    var fuzz: String { TestPaths.binary("sg-fuzz") }
    let root = TestPaths.packageRoot

    func targets() throws -> [String] {
        let r = try ToolRunner.run(fuzz, ["list"], environment: ["SWIFT_BACKTRACE": "enable=no", "PATH": "/usr/bin:/bin"], timeout: 30)
        XCTAssertEqual(r.status, 0, r.stderrText)
        return r.stdoutText.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
    }

    /// Replays files or folders through a target; a crash or hang fails the test and names the input.
    func replay(_ target: String, _ paths: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try ToolRunner.run(fuzz, ["replay", target] + paths,
                                   environment: ["SWIFT_BACKTRACE": "enable=no", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"], timeout: 300)
        let last = r.stderrText.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertEqual(r.status, 0, "\(target): crashed (signal/exit \(r.status)) at \(last)", file: file, line: line)
    }

    func testEveryTargetIsListed() throws {
        let names = try targets()
        for t in ["config", "yaml", "secrets-file", "askpass", "private-key", "pkcs12", "json", "json-literal", "ark-token", "git-credential", "terminal-text", "http-header", "identity-refresh", "event-stream", "cert-names", "plugin-args", "aws-process", "docker-credential"] {
            XCTAssertTrue(names.contains(t), "sg-fuzz has a '\(t)' target")
        }
    }

    func testSavedCrashesAndSeedsReplay() throws {
        let fm = FileManager.default
        for t in try targets() {
            for dir in ["fuzz/regressions/\(t)", "fuzz/corpus/\(t)"] {
                let path = root.appendingPathComponent(dir).path
                guard let files = try? fm.contentsOfDirectory(atPath: path), !files.isEmpty else { continue }
                try replay(t, [path])
            }
        }
    }

    /// Hand-written hostile inputs for every target, plus every prefix of every seed (truncation).
    func testHostileInputsForEveryTarget() throws {
        let dir = try TestPaths.makeTempDir("fuzz-hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        var hostile: [String: [UInt8]] = [
            "empty": [],
            "nul": [0],
            "nuls": [UInt8](repeating: 0, count: 4096),
            "ff": [0xFF, 0xFE, 0xFD],
            "lone-continuation": [0x80, 0x80, 0x41],
            "overlong-utf8": [0xC0, 0xAF, 0xE0, 0x80, 0xAF],
            "surrogate-utf8": Array("\"".utf8) + [0xED, 0xA0, 0x80] + Array("\"".utf8),
            "oversized-A": [UInt8](repeating: 0x41, count: 2 << 20),
            "deep-array": [UInt8](repeating: 0x5B, count: 100_000),
            "deep-object": Array(String(repeating: "{\"a\":", count: 20_000).utf8),
            "deep-yaml": Array(String(repeating: "- ", count: 5_000).utf8) + [0x78],
            "yaml-billion-laughs": Array("""
                version: 1
                a: &a ["x","x","x","x","x","x","x","x","x"]
                b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
                c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
                d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
                e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
                f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
                """.utf8),
            "long-line": Array(("host=" + String(repeating: "h", count: 70_000) + "\n\n").utf8),
            "crlf": Array("protocol=https\r\nhost=x\r\n\r\n".utf8),
            "nul-in-line": Array("protocol=https\nhost=a\0b\n\n".utf8),
            "json-escape-end": Array("\"\\".utf8),
            "json-unicode-trunc": Array("\"\\u12".utf8),
            "json-big-number": Array(("[" + String(repeating: "9", count: 10_000) + "]").utf8),
            "json-exp": Array("[1e999999999999999999, -0.0e-99999999999]".utf8),
            "pem-no-end": Array("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n".utf8),
            "pem-bad-label": Array("-----BEGIN \u{0}RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n".utf8),
            "pem-huge-label": Array(("-----BEGIN " + String(repeating: "A", count: 100) + "-----").utf8),
            "openssh-blob-huge-count": [0x00] + Array("openssh-key-v1\0".utf8) + [0, 0, 0, 4] + Array("none".utf8)
                + [0, 0, 0, 4] + Array("none".utf8) + [0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF],
            "openssh-blob-huge-len": [0x00] + Array("openssh-key-v1\0".utf8) + [0x7F, 0xFF, 0xFF, 0xFF],
            "prompt-hostile": [0x00] + Array("Enter passphrase for key '\u{1b}[2J/tmp/x\u{7}': ".utf8),
            "prompt-newline": [0x00] + Array("alice@host's password: \nAre you sure you want to continue connecting (yes/no)? ".utf8),
            "prompt-rtl": [0x00] + Array("Password for 'https://\u{202e}moc.live@git.corp': ".utf8),
            "prompt-long": [0x00] + Array((String(repeating: "a", count: 5000) + "@h's password: ").utf8),
            "prompt-paren": [0x00] + Array("(((((((((((((((((((((((((((((((((".utf8),
            "prompt-url-edge": [0x00] + Array("Username for 'https://[::1:': ".utf8),
            "ark-dates": Array(#"{"token":"t","expires_in":"9999-99-99T99:99:99.9999999999+99:99"}"#.utf8),
            "ark-epoch-huge": Array(#"{"token":"t","expires_in":1e308}"#.utf8),
            "ark-epoch-neg": Array(#"{"token":"t","expires_in":-1e308}"#.utf8),
            "ark-nan-date": Array(#"{"token":"t","expires_in":"-0001-01-01T00:00:00"}"#.utf8),
            "secrets-dollar": Array("A: !var $\nB: !var ${\nC: !var ${}\nD: !var $$$\nE: !var:default=%zz%\n".utf8),
            "secrets-tags": Array("A: !var:file:file:default='\n".utf8),
        ]
        // Truncations: every prefix of every small seed (at a stride for longer ones).
        let fm = FileManager.default
        for t in try targets() {
            let seeds = root.appendingPathComponent("fuzz/corpus/\(t)")
            for name in (try? fm.contentsOfDirectory(atPath: seeds.path)) ?? [] {
                guard let data = fm.contents(atPath: seeds.appendingPathComponent(name).path) else { continue }
                let step = max(1, data.count / 64)
                for n in stride(from: 0, to: data.count, by: step) {
                    hostile["\(t)-\(name)-\(n)"] = Array(data.prefix(n))
                }
            }
        }
        for (name, bytes) in hostile {
            FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data(bytes))
        }
        for t in try targets() {
            try replay(t, [dir.path])
        }
    }

    // MARK: in-process, SGCore's own parsers

    func testJSONValueRefusesWithoutCrashing() throws {
        let cases: [String] = ["", " ", "[", "{", "\"", "\"\\u", "\"\\ud800\\u0041\"", "[1,]", "{\"a\":}", "nul", "tru", "-", "1e", "[1e9999]",
                               "{\"a\":1,\"a\":2}", "\"\u{0}\"", String(repeating: "[", count: 65) + String(repeating: "]", count: 65)]
        for c in cases {
            _ = try? JSONValue.parse(c)
            _ = try? JSONString.decodeLiteral(SecretBytes(string: c))
        }
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 10_000)), "nesting is bounded, not a stack overflow")
        _ = try? JSONValue.parse(SecretBytes(bytes: [0x22, 0xFF, 0x22]))
        // Found by fuzzing: a huge or non-integral number where an Int is read (an error body's Code).
        for n in ["1e300", "-1e300", "1e19", "9223372036854775808", "-9223372036854775809", "1.5"] {
            _ = try JSONValue.parse("{\"Code\":\(n)}")["Code"]?.intValue
        }
        XCTAssertNil(try JSONValue.parse("{\"Code\":1e300}")["Code"]?.intValue)
    }

    func testJSONStringRoundTripsHostileValues() throws {
        for s in ["", "\u{0}", "\"", "\\", "\u{1F511}", "\u{7F}", "\u{2028}", "a\u{0}b\nc\td"] {
            let v = SecretBytes(string: s)
            let back = try JSONString.decodeLiteral(JSONString.encodeLiteral(v))
            XCTAssertTrue(back.constantTimeEquals(v), "round trip of \(s.debugDescription)")
        }
    }

    func testConfigLoaderRefusesHostileText() {
        let cases = ["", "\u{0}", "version: 1\n\u{0}", "version: [", "version: 1\nprofiles: {a: {appliances: \"h:99999999999999999999\"}}",
                     "version: 1\nsecrets: &a {x: *a}", String(repeating: "- ", count: 5000) + "x", "version: 1\nprofiles:\n  p:\n    timeouts: {connect: -1, total: 1e400}\n"]
        let limits = [String(repeating: "[", count: 500_000), "a: " + String(repeating: "x", count: YAML.maxInputBytes),
                      "a: &a " + String(repeating: "x", count: 900 << 10) + "\nb: [*a, *a, *a, *a]\n"]
        for c in cases + limits {
            // Each is refused as a config error naming the file, never accepted, never another kind of failure.
            XCTAssertThrowsError(try ConfigLoader.parse(c, file: "/nonexistent/config.yaml", home: "/nonexistent"), c.debugDescription.prefix(60).description) { e in
                guard let e = e as? SGError else { return XCTFail("not an SGError: \(e)") }
                XCTAssertEqual(e.exitCode, .config, e.message)
                XCTAssertTrue(e.message.contains("/nonexistent/config.yaml"), e.message)
            }
        }
    }
}
