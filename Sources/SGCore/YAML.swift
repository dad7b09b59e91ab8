import CYAML
#if canImport(Glibc)
import Glibc
#endif

/// A composed YAML node: libyaml's document model, copied into Swift values, with the line each
/// node starts on (1-based) for error messages.
///
///     guard let root = try YAML.compose("version: 1\n") else { return }
///     if case .mapping(let pairs) = root.kind { print(pairs[0].key.line) }   // 1
public struct YAMLNode {
    public enum Kind {
        case scalar(String)
        case sequence([YAMLNode])
        case mapping([Pair])
    }

    /// One key and its value, in the order the mapping lists them. A struct rather than a tuple:
    /// the runtime copies and frees tuples element by element through generic code, a struct
    /// through its own compiled functions.
    public struct Pair {
        public let key: YAMLNode
        public let value: YAMLNode
    }

    public let kind: Kind
    /// The node's tag: an explicit one as written (`!var:file`), else libyaml's default
    /// (`tag:yaml.org,2002:str`, `…:seq`, `…:map`).
    public let tag: String
    public let line: Int
    /// A plain (unquoted) scalar without an explicit tag.
    let plainUntagged: Bool

    /// YAML's null: `~`, `null`, `Null`, `NULL` or nothing at all, unquoted and untagged, or `!!null`.
    public var isNull: Bool {
        guard case .scalar(let s) = kind else { return false }
        if tag == "tag:yaml.org,2002:null" { return true }
        return plainUntagged && ["", "~", "null", "Null", "NULL"].contains(s)
    }

    public var scalar: String? {
        if case .scalar(let s) = kind { return s }
        return nil
    }
}

/// Why a YAML text was refused: a syntax error as libyaml reports it, or one of `YAML`'s limits,
/// with the line (1-based) it was found on.
public struct YAMLError: Error, CustomStringConvertible {
    /// nil for a refusal of the whole text (its size).
    public let line: Int?
    /// Set for syntax errors, where libyaml knows it.
    public let column: Int?
    public let problem: String

    init(line: Int?, column: Int? = nil, _ problem: String) {
        self.line = line
        self.column = column
        self.problem = problem
    }

    /// `line 3, column 7: mapping values are not allowed in this context`
    public var description: String {
        guard let line else { return problem }
        return column.map { "line \(line), column \($0): \(problem)" } ?? "line \(line): \(problem)"
    }

    /// `FILE:LINE: problem` (`FILE:LINE:COLUMN:` for a syntax error): the form every message about a file uses.
    public func located(in file: String) -> String {
        guard let line else { return "\(file): \(problem)" }
        return column.map { "\(file):\(line):\($0): \(problem)" } ?? "\(file):\(line): \(problem)"
    }
}

public enum YAML {
    /// Deeper nesting is refused rather than recursed into.
    public static let maxDepth = 64
    /// Aliases may repeat a node many times over ("billion laughs"): the count includes every copy.
    public static let maxNodes = 100_000
    /// Scalar text in the composed document, every alias counted at its full size: one anchored
    /// 100 KiB scalar named 5,000 times would otherwise cost half a gigabyte.
    public static let maxExpandedBytes = 4 << 20
    /// A config file or secrets.yml larger than this is refused before it is parsed.
    public static let maxInputBytes = 1 << 20

    /// The single document in `text`, or nil for an empty stream. Every limit above holds while
    /// libyaml parses, event by event, so no input can make the parse slow or large.
    public static func compose(_ text: String) throws -> YAMLNode? {
        var composer = YAMLComposer()
        return try composer.compose(text)
    }

    /// `1 MiB`, for messages.
    static func size(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// Builds `YAMLNode`s from libyaml's event parser (`yaml_parser_parse`), not its document loader:
/// the loader reads the whole document before anything can be checked (1,000,000 nested `[`
/// kept it busy for minutes), while here depth, node count and expanded size are counted as each
/// event arrives and the first event past a limit ends the parse.
struct YAMLComposer {
    /// Events taken from libyaml so far: the tests check that a refusal comes as soon as a limit
    /// is passed, not after the rest of the input was parsed.
    private(set) var eventsRead = 0

    private var nodes = 0
    private var bytes = 0
    private var open: [Frame] = []
    private var anchors: [String: Composed] = [:]
    private var root: Composed?

    /// A finished node with what it costs wherever an alias repeats it.
    struct Composed {
        let node: YAMLNode
        /// Nodes in it, itself included.
        let nodes: Int
        /// Scalar bytes in it.
        let bytes: Int
        /// Levels in it: 1 for a scalar or an empty collection.
        let height: Int
    }

    /// The children of every open collection, innermost last: one stack for the whole document
    /// rather than a growing array per collection, so each collection is allocated once, at its
    /// end, at its final size.
    private var children: [YAMLNode] = []

    /// A sequence or mapping whose end event has not come yet; its children are `children[first...]`.
    struct Frame {
        let mapping: Bool
        let tag: String
        let line: Int
        let anchor: String?
        let first: Int
        var nodes = 1
        var bytes = 0
        var height = 1
    }

    mutating func compose(_ text: String) throws -> YAMLNode? {
        guard text.utf8.count <= YAML.maxInputBytes else {
            throw YAMLError(line: nil, "larger than \(YAML.size(YAML.maxInputBytes)), the most sg reads as YAML")
        }
        var input = Array(text.utf8)
        defer { SecretBytes.wipe(&input) }
        return try input.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError(line: nil, "out of memory") }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.syntaxError(parser) }
                defer { yaml_event_delete(&event) }
                eventsRead += 1
                if event.type == YAML_STREAM_END_EVENT { return root?.node }
                try take(event)
            }
        }
    }

    private mutating func take(_ event: yaml_event_t) throws {
        let line = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
            let node = YAMLNode(kind: .scalar(value), tag: Self.tag(s.tag, default: Self.strTag), line: line,
                                plainUntagged: s.tag == nil && s.style == YAML_PLAIN_SCALAR_STYLE)
            try add(Composed(node: node, nodes: 1, bytes: Int(s.length), height: 1), anchor: Self.name(s.anchor), line: line)
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            try start(Frame(mapping: false, tag: Self.tag(s.tag, default: Self.seqTag), line: line, anchor: Self.name(s.anchor),
                            first: children.count))
        case YAML_MAPPING_START_EVENT:
            let m = event.data.mapping_start
            try start(Frame(mapping: true, tag: Self.tag(m.tag, default: Self.mapTag), line: line, anchor: Self.name(m.anchor),
                            first: children.count))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = open.popLast() else { throw YAMLError(line: line, "a collection ends that never started") }
            let node = YAMLNode(kind: collect(frame), tag: frame.tag, line: frame.line, plainUntagged: false)
            // Its nodes and bytes were counted as they came; only the parent's totals grow now.
            try finish(Composed(node: node, nodes: frame.nodes, bytes: frame.bytes, height: frame.height), anchor: frame.anchor, line: frame.line)
        case YAML_ALIAS_EVENT:
            let name = Self.name(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                if open.contains(where: { $0.anchor == name }) {
                    throw YAMLError(line: line, "an alias refers to a node that contains it")
                }
                throw YAMLError(line: line, "*\(name) refers to no anchor defined before it")
            }
            try add(target, anchor: nil, line: line)
        default:
            // Stream and document start/end: a second document is caught by its first node.
            break
        }
    }

    /// Takes a closing collection's children off the stack: a sequence's items, or a mapping's
    /// keys and values in pairs (libyaml always gives a key its value, a null scalar if none).
    private mutating func collect(_ frame: Frame) -> YAMLNode.Kind {
        defer { children.removeSubrange(frame.first...) }
        let items = children[frame.first...]
        guard frame.mapping else { return .sequence(Array(items)) }
        var pairs: [YAMLNode.Pair] = []
        pairs.reserveCapacity(items.count / 2)
        var i = items.startIndex
        while i + 1 < items.endIndex {
            pairs.append(YAMLNode.Pair(key: items[i], value: items[i + 1]))
            i += 2
        }
        return .mapping(pairs)
    }

    /// Counts a new scalar or alias against every limit, then places it.
    private mutating func add(_ composed: Composed, anchor: String?, line: Int) throws {
        try admit(nodes: composed.nodes, bytes: composed.bytes, height: composed.height, line: line)
        try finish(composed, anchor: anchor, line: line)
    }

    private mutating func start(_ frame: Frame) throws {
        try admit(nodes: 1, bytes: 0, height: 1, line: frame.line)
        open.append(frame)
    }

    /// The limits, checked before the node is kept: its depth (with the height an alias brings),
    /// the document's node count and its scalar bytes, aliases expanded.
    private mutating func admit(nodes added: Int, bytes addedBytes: Int, height: Int, line: Int) throws {
        if open.isEmpty && root != nil {
            throw YAMLError(line: line, "a second document; this file holds one")
        }
        guard open.count + height <= YAML.maxDepth else {
            throw YAMLError(line: line, "nested deeper than \(YAML.maxDepth) levels")
        }
        nodes += added
        guard nodes <= YAML.maxNodes else {
            throw YAMLError(line: line, "more than \(YAML.maxNodes) nodes (aliases expanded)")
        }
        bytes += addedBytes
        guard bytes <= YAML.maxExpandedBytes else {
            throw YAMLError(line: line, "more than \(YAML.size(YAML.maxExpandedBytes)) of text (aliases expanded)")
        }
    }

    /// Hands a complete node to its parent (or makes it the root) and records its anchor.
    private mutating func finish(_ composed: Composed, anchor: String?, line: Int) throws {
        if let anchor {
            // libyaml's loader refused these too: an alias after it would be ambiguous.
            guard anchors[anchor] == nil else { throw YAMLError(line: line, "anchor &\(anchor) is defined twice") }
            anchors[anchor] = composed
        }
        guard !open.isEmpty else {
            root = composed
            return
        }
        let last = open.count - 1
        children.append(composed.node)
        open[last].nodes += composed.nodes
        open[last].bytes += composed.bytes
        open[last].height = max(open[last].height, composed.height + 1)
    }

    private static func syntaxError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let mark = parser.problem_mark
        var text = problem
        if let context = parser.context { text += " (\(String(cString: context)))" }
        return YAMLError(line: Int(mark.line) + 1, column: Int(mark.column) + 1, text)
    }

    static let strTag = "tag:yaml.org,2002:str"
    static let seqTag = "tag:yaml.org,2002:seq"
    static let mapTag = "tag:yaml.org,2002:map"

    /// The node's tag as libyaml's loader gives it: none (or `!`) means the kind's default tag,
    /// a shared string rather than one made anew per node.
    static func tag(_ raw: UnsafeMutablePointer<yaml_char_t>?, default fallback: String) -> String {
        guard let raw, !(raw[0] == UInt8(ascii: "!") && raw[1] == 0) else { return fallback }
        let text = String(cString: raw)
        for known in [strTag, seqTag, mapTag] where known == text { return known }
        return text
    }

    static func name(_ raw: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        raw.map { String(cString: $0) }
    }
}
