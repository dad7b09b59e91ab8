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
        case mapping([(key: YAMLNode, value: YAMLNode)])
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

/// A syntax error, as libyaml reports it: `line 3, column 7: mapping values are not allowed in this context`.
public struct YAMLError: Error, CustomStringConvertible {
    public let description: String
}

public enum YAML {
    /// Deeper nesting is refused rather than recursed into.
    static let maxDepth = 64
    /// Aliases may repeat a node many times over ("billion laughs"): the copy stops here.
    static let maxNodes = 100_000

    /// The single document in `text`, or nil for an empty stream.
    public static func compose(_ text: String) throws -> YAMLNode? {
        var bytes = Array(text.utf8)
        defer { SecretBytes.wipe(&bytes) }
        let result: Result<YAMLNode?, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return .failure(YAMLError(description: "out of memory")) }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)

            var document = yaml_document_t()
            guard yaml_parser_load(&parser, &document) == 1 else { return .failure(parserError(parser)) }
            defer { yaml_document_delete(&document) }
            guard let root = yaml_document_get_root_node(&document) else { return .success(nil) }

            let node: YAMLNode
            do {
                node = try withUnsafeMutablePointer(to: &document) { d in
                    var converter = Converter(document: d)
                    return try converter.convert(root, depth: 0)
                }
            } catch { return .failure(error as? YAMLError ?? YAMLError(description: "\(error)")) }

            var next = yaml_document_t()
            guard yaml_parser_load(&parser, &next) == 1 else { return .failure(parserError(parser)) }
            defer { yaml_document_delete(&next) }
            if let extra = yaml_document_get_root_node(&next) {
                return .failure(YAMLError(description: "line \(Int(extra.pointee.start_mark.line) + 1): a second document; this file holds one"))
            }
            return .success(node)
        }
        return try result.get()
    }

    private static func parserError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let mark = parser.problem_mark
        var text = "line \(Int(mark.line) + 1), column \(Int(mark.column) + 1): \(problem)"
        if let context = parser.context { text += " (\(String(cString: context)))" }
        return YAMLError(description: text)
    }

    private struct Converter {
        let document: UnsafeMutablePointer<yaml_document_t>
        /// The nodes being converted, outermost first (at most `maxDepth`): an alias back into one is a cycle.
        var open: [UnsafeMutablePointer<yaml_node_t>] = []
        var made = 0

        init(document: UnsafeMutablePointer<yaml_document_t>) { self.document = document }

        mutating func convert(_ pointer: UnsafeMutablePointer<yaml_node_t>, depth: Int) throws -> YAMLNode {
            let node = pointer.pointee
            let line = Int(node.start_mark.line) + 1
            guard depth < YAML.maxDepth else { throw YAMLError(description: "line \(line): nested deeper than \(YAML.maxDepth) levels") }
            made += 1
            guard made <= YAML.maxNodes else { throw YAMLError(description: "line \(line): more than \(YAML.maxNodes) nodes (aliases expanded)") }
            guard !open.contains(pointer) else { throw YAMLError(description: "line \(line): an alias refers to a node that contains it") }
            open.append(pointer)
            defer { open.removeLast() }

            let tag = Self.tag(node.tag)
            switch node.type {
            case YAML_SCALAR_NODE:
                let s = node.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE && tag == "tag:yaml.org,2002:str"
                return YAMLNode(kind: .scalar(value), tag: tag, line: line, plainUntagged: plain)
            case YAML_SEQUENCE_NODE:
                var items: [YAMLNode] = []
                var item = node.data.sequence.items.start
                while let i = item, i != node.data.sequence.items.top {
                    items.append(try convert(child(i.pointee, line: line), depth: depth + 1))
                    item = i + 1
                }
                return YAMLNode(kind: .sequence(items), tag: tag, line: line, plainUntagged: false)
            case YAML_MAPPING_NODE:
                var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                var pair = node.data.mapping.pairs.start
                while let p = pair, p != node.data.mapping.pairs.top {
                    let key = try convert(child(p.pointee.key, line: line), depth: depth + 1)
                    let value = try convert(child(p.pointee.value, line: line), depth: depth + 1)
                    pairs.append((key, value))
                    pair = p + 1
                }
                return YAMLNode(kind: .mapping(pairs), tag: tag, line: line, plainUntagged: false)
            default:
                throw YAMLError(description: "line \(line): an empty node")
            }
        }

        /// libyaml's default tags, shared instead of made anew for every node.
        static let defaultTags = ["tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"]

        static func tag(_ raw: UnsafeMutablePointer<yaml_char_t>?) -> String {
            guard let raw else { return "" }
            for known in defaultTags where known.withCString({ strcmp($0, UnsafeRawPointer(raw).assumingMemoryBound(to: CChar.self)) }) == 0 {
                return known
            }
            return String(cString: raw)
        }

        func child(_ index: Int32, line: Int) throws -> UnsafeMutablePointer<yaml_node_t> {
            guard let p = yaml_document_get_node(document, index) else {
                throw YAMLError(description: "line \(line): a node refers to nothing")
            }
            return p
        }
    }
}
