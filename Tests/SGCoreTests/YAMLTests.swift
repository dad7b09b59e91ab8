import XCTest
@testable import SGCore

/// The libyaml-backed composer that replaced Yams (docs/decisions.md, "YAML").
final class YAMLTests: XCTestCase {
    func pairs(_ node: YAMLNode?) throws -> [(key: YAMLNode, value: YAMLNode)] {
        guard case .mapping(let p)? = node?.kind else { throw XCTSkip("not a mapping: \(String(describing: node))") }
        return p
    }

    func testNodesCarryTheirLineTagAndKind() throws {
        let root = try YAML.compose("""
        # a comment
        version: 1
        list:
          - a
          - "b"
        flow: {file: apikeys/x}
        tagged: !var:file db/password
        """)
        let top = try pairs(root)
        XCTAssertEqual(top.map { $0.key.scalar }, ["version", "list", "flow", "tagged"])
        XCTAssertEqual(top.map { $0.key.line }, [2, 3, 6, 7])
        guard case .sequence(let items) = top[1].value.kind else { return XCTFail("list") }
        XCTAssertEqual(items.map(\.scalar), ["a", "b"])
        XCTAssertEqual(items.map(\.line), [4, 5])
        XCTAssertEqual(try pairs(top[2].value).first?.value.scalar, "apikeys/x")
        XCTAssertEqual(top[3].value.tag, "!var:file")
        XCTAssertEqual(top[3].value.scalar, "db/password")
        XCTAssertEqual(top[0].value.tag, "tag:yaml.org,2002:str")
    }

    func testNullIsOnlyThePlainUntaggedForms() throws {
        let top = try pairs(YAML.compose("a:\nb: ~\nc: null\nd: \"null\"\ne: ''\nf: !!null x\ng: NULL\n"))
        XCTAssertEqual(top.map(\.value.isNull), [true, true, true, false, false, true, true])
    }

    func testEmptyStreamIsNil() throws {
        XCTAssertNil(try YAML.compose(""))
        XCTAssertNil(try YAML.compose("# only a comment\n"))
    }

    func testSyntaxErrorsNameLineAndColumn() {
        XCTAssertThrowsError(try YAML.compose("a: 1\nb: [1, 2\n")) { e in
            XCTAssertTrue("\(e)".hasPrefix("line "), "\(e)")
        }
        XCTAssertThrowsError(try YAML.compose("a: b: c\n")) { e in
            XCTAssertEqual("\(e)", "line 1, column 5: mapping values are not allowed in this context")
        }
    }

    func testASecondDocumentIsRefused() {
        XCTAssertThrowsError(try YAML.compose("a: 1\n---\nb: 2\n")) { e in
            XCTAssertEqual("\(e)", "line 3: a second document; this file holds one")
        }
    }

    func testAliasesExpandButCannotLoopOrExplode() throws {
        let top = try pairs(YAML.compose("base: &b {x: 1}\ncopy: *b\n"))
        XCTAssertEqual(try pairs(top[1].value).first?.value.scalar, "1")

        // An alias to the node that contains it: libyaml builds a cycle; it is refused, not followed.
        XCTAssertThrowsError(try YAML.compose("a: &a [1, *a]\n")) { e in
            XCTAssertTrue("\(e)".contains("refers to a node that contains it"), "\(e)")
        }
        // "Billion laughs": nine levels of ten aliases would be 10^9 nodes.
        var text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { text += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        XCTAssertThrowsError(try YAML.compose(text)) { e in
            XCTAssertTrue("\(e)".contains("more than 100000 nodes"), "\(e)")
        }
    }

    func testDeepNestingIsRefused() {
        XCTAssertNoThrow(try YAML.compose(String(repeating: "[", count: 60) + String(repeating: "]", count: 60)))
        XCTAssertThrowsError(try YAML.compose(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000))) { e in
            XCTAssertTrue("\(e)".contains("nested deeper than 64 levels"), "\(e)")
        }
    }

    func testConfigErrorsStillNameTheLine() throws {
        var parser = ConfigParser(file: "/etc/sg/config.yaml", home: "/root")
        XCTAssertThrowsError(try parser.parse("version: 1\nprofiles:\n  p: {kind: safeguard, bogus: 1}\n")) { e in
            XCTAssertTrue("\(e)".contains("/etc/sg/config.yaml:3: unknown key 'bogus'"), "\(e)")
        }
        XCTAssertThrowsError(try parser.parse("version: 1\nprofiles: [\n")) { e in
            XCTAssertTrue("\(e)".contains("/etc/sg/config.yaml: line 3, column 1: "), "\(e)")
        }
    }
}
