import XCTest
@testable import SGCore

/// The libyaml-backed composer that replaced Yams (docs/decisions.md, "YAML").
final class YAMLTests: XCTestCase {
    struct WrongShape: Error, CustomStringConvertible { let description: String }

    /// A node that is not a mapping fails the test (a thrown error), never skips it.
    func pairs(_ node: YAMLNode?) throws -> [YAMLNode.Pair] {
        guard case .mapping(let p)? = node?.kind else { throw WrongShape(description: "not a mapping: \(String(describing: node))") }
        return p
    }

    func testAWrongShapeIsAFailureNotASkip() throws {
        XCTAssertThrowsError(try pairs(YAML.compose("- a\n"))) { e in
            XCTAssertFalse(e is XCTSkip, "a regression in the composer would show up as a skipped test")
        }
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
            XCTAssertTrue("\(e)".contains("/etc/sg/config.yaml:3:1: "), "\(e)")
        }
    }

    // MARK: limits hold while parsing (issue 13, item 5)

    /// 500,000 unclosed `[`: the old loader read all of it first (quadratically); the composer
    /// stops at the 65th `[`, before libyaml has parsed more than the limit allows.
    func testDepthLimitStopsTheParseAtTheLimit() throws {
        var composer = YAMLComposer()
        XCTAssertThrowsError(try composer.compose(String(repeating: "[", count: 500_000))) { e in
            XCTAssertEqual((e as? YAMLError)?.description, "line 1: nested deeper than 64 levels")
        }
        // Stream start, document start, 65 sequence starts: nothing read past the refusal.
        XCTAssertEqual(composer.eventsRead, 2 + YAML.maxDepth + 1)
        // A block-style ladder, one level per line, names the line where it went too deep.
        let ladder = (0..<200).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        XCTAssertThrowsError(try YAML.compose(ladder)) { e in
            XCTAssertEqual((e as? YAMLError)?.description, "line 64: nested deeper than 64 levels")
        }
    }

    func testNodeLimitStopsTheParseAtTheLimit() throws {
        var composer = YAMLComposer()
        let many = "[" + String(repeating: "x,", count: 200_000) + "x]"
        XCTAssertThrowsError(try composer.compose(many)) { e in
            XCTAssertEqual((e as? YAMLError)?.description, "line 1: more than 100000 nodes (aliases expanded)")
        }
        // Stream, document, the sequence and 99,999 scalars fit; the next scalar is refused.
        XCTAssertEqual(composer.eventsRead, 2 + YAML.maxNodes + 1)
    }

    /// A 100 KiB anchored scalar named 5,000 times: 500 MB once expanded. Refused at the alias
    /// that passes 4 MiB, after about 40 events.
    func testExpandedSizeLimitCountsAliasesAtTheirFullSize() throws {
        let big = String(repeating: "x", count: 100 << 10)
        let text = "a: &a \(big)\nb: [" + Array(repeating: "*a", count: 5_000).joined(separator: ", ") + "]\n"
        var composer = YAMLComposer()
        XCTAssertThrowsError(try composer.compose(text)) { e in
            XCTAssertEqual((e as? YAMLError)?.description, "line 2: more than 4 MiB of text (aliases expanded)")
        }
        // Stream, document, mapping, a, its value, b, the sequence, then 40 aliases (41 x 100 KiB > 4 MiB).
        XCTAssertEqual(composer.eventsRead, 7 + 40)
        // The same document with a few aliases is fine, and the copies are the anchored text.
        let few = try pairs(YAML.compose("a: &a \(big)\nb: [*a, *a]\n"))
        guard case .sequence(let copies) = few[1].value.kind else { return XCTFail("not a sequence") }
        XCTAssertEqual(copies.map { $0.scalar?.utf8.count }, [100 << 10, 100 << 10])
    }

    func testAliasesThatReachTooDeepAreRefused() {
        // Each level is a list holding the previous one twice: 40 levels of nesting built from 40 lines,
        // then named inside 30 more levels.
        var text = "l0: &l0 [x]\n"
        for i in 1..<40 { text += "l\(i): &l\(i) [*l\(i - 1)]\n" }
        text += "deep: " + String(repeating: "[", count: 30) + "*l39" + String(repeating: "]", count: 30) + "\n"
        XCTAssertThrowsError(try YAML.compose(text)) { e in
            XCTAssertTrue("\(e)".contains("nested deeper than 64 levels"), "\(e)")
        }
    }

    func testInputOverOneMiBIsRefusedBeforeParsing() throws {
        var composer = YAMLComposer()
        XCTAssertThrowsError(try composer.compose("a: " + String(repeating: "x", count: YAML.maxInputBytes))) { e in
            XCTAssertEqual("\(e)", "larger than 1 MiB, the most sg reads as YAML")
        }
        XCTAssertEqual(composer.eventsRead, 0)
        XCTAssertNoThrow(try YAML.compose("a: " + String(repeating: "x", count: YAML.maxInputBytes - 4)))
    }

    func testUndefinedAndDuplicateAnchorsAreRefused() {
        XCTAssertThrowsError(try YAML.compose("a: *nope\n")) { e in
            XCTAssertEqual("\(e)", "line 1: *nope refers to no anchor defined before it")
        }
        XCTAssertThrowsError(try YAML.compose("a: &x 1\nb: &x 2\n")) { e in
            XCTAssertEqual("\(e)", "line 2: anchor &x is defined twice")
        }
    }

    /// The refusals reach the user as file:line, exit 78 for config and 65 for secrets.yml.
    func testLimitRefusalsNameFileAndLine() {
        let deep = "version: 1\nprofiles: " + String(repeating: "[", count: 100) + "\n"
        XCTAssertThrowsError(try ConfigLoader.parse(deep, file: "/x/config.yaml", home: "/h")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
            XCTAssertEqual((e as? SGError)?.message, "config: /x/config.yaml:2: nested deeper than 64 levels")
        }
    }
}
