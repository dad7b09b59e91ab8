import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// One variable of a summon `secrets.yml`: what to put in the child's environment under `name`.
public struct SecretsFileEntry: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// `!str` (the default): the text itself.
        case literal(String)
        /// `!var ID`: the secret `ID` (a bare id means `sg:ID`).
        case reference(SecretReference)
    }

    public let name: String
    public let value: Value
    /// `!file`: the child gets the path of a file holding the value instead of the value.
    public let asFile: Bool
    /// `!default='x'`: used when the value resolves to empty.
    public let defaultValue: String?
    /// `file:line`, for messages.
    public let location: String

    public init(name: String, value: Value, asFile: Bool = false, defaultValue: String? = nil, location: String = "") {
        self.name = name
        self.value = value
        self.asFile = asFile
        self.defaultValue = defaultValue
        self.location = location
    }
}

/// summon's `secrets.yml`, drop-in: `NAME: !tag value` with the tags `!var`, `!file`, `!str` and
/// `!default='x'` combined with `:` (`!var:default='admin':file`), environment sections chosen
/// with `section` (merged over `common`, alias `default`), and `$KEY` substituted from `-D KEY=VALUE`
/// (`$$` is a literal `$`, an undeclared key is an error). Variable ids are sg references; a bare
/// id means `sg:ID`.
///
///     let entries = try SecretsFile.load("secrets.yml", section: "production", defines: ["env": "prod"])
public enum SecretsFile {
    public static func load(_ path: String, section: String? = nil, defines: [String: String] = [:]) throws -> [SecretsFileEntry] {
        guard FileSafety.exists(path) else {
            throw SGError.usage("cannot read secrets file \(path): \(String(cString: strerror(ENOENT)))")
        }
        // Checked as config is (FileSafety): whoever can change it chooses what the child gets.
        let bytes = try FileSafety.read(path, limit: YAML.maxInputBytes, tooLarge: { SGError.malformedInput($0) }).bytes
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SGError.malformedInput("\(path): not valid UTF-8")
        }
        return try parse(text, file: path, section: section, defines: defines)
    }

    public static func parse(_ text: String, file: String = "secrets.yml", section: String? = nil,
                             defines: [String: String] = [:]) throws -> [SecretsFileEntry] {
        let root: YAMLNode?
        do {
            root = try YAML.compose(text)
        } catch let e as YAMLError {
            throw SGError.malformedInput(e.located(in: file))
        }
        guard let root else { return [] }
        func at(_ node: YAMLNode) -> String { "\(file):\(node.line)" }
        guard case .mapping(let top) = root.kind else {
            throw SGError.malformedInput("\(at(root)): a secrets file is a mapping of VARIABLE: value")
        }

        var ordered: [YAMLNode.Pair] = []
        if let section {
            var sections: [String: [YAMLNode.Pair]] = [:]
            for pair in top {
                guard case .scalar(let name) = pair.key.kind else { throw SGError.malformedInput("\(at(pair.key)): section names are plain words") }
                guard case .mapping(let m) = pair.value.kind else {
                    throw SGError.malformedInput("\(at(pair.value)): '\(name)' is not a section (with --section, every top-level key is a section)")
                }
                sections[name] = m
            }
            guard let chosen = sections[section] else {
                let names = sections.keys.filter { $0 != "common" && $0 != "default" }.sorted()
                throw SGError.usage("no section '\(section)' in \(file) (sections: \(names.joined(separator: ", ")))")
            }
            for base in ["common", "default"] where base != section {
                if let entries = sections[base] { ordered += entries }
            }
            ordered += chosen
        } else {
            ordered = top
        }

        var entries: [SecretsFileEntry] = []
        var index: [String: Int] = [:]
        for pair in ordered {
            guard case .scalar(let name) = pair.key.kind else { throw SGError.malformedInput("\(at(pair.key)): variable names are plain words") }
            guard isValidVariableName(name) else {
                throw SGError.malformedInput("\(at(pair.key)): '\(name)' is not a valid environment variable name")
            }
            let entry = try parseEntry(name: name, node: pair.value, location: at(pair.value), defines: defines, sectioned: section != nil)
            if let i = index[name] { entries[i] = entry } else { index[name] = entries.count; entries.append(entry) }
        }
        return entries
    }

    /// A name the child's environment can hold: no `=`, no NUL, not empty.
    public static func isValidVariableName(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains(UInt8(ascii: "=")) && !name.utf8.contains(0)
    }

    static func parseEntry(name: String, node: YAMLNode, location: String, defines: [String: String], sectioned: Bool) throws -> SecretsFileEntry {
        let raw: String
        let tagText: String
        switch node.kind {
        case .scalar(let s):
            raw = node.isNull ? "" : s
            tagText = node.tag
        case .mapping:
            throw SGError.malformedInput("\(location): \(name) is a mapping; " +
                (sectioned ? "values are scalars" : "environment sections need --section NAME"))
        default:
            throw SGError.malformedInput("\(location): \(name) must be a single value")
        }
        var isVar = false, isFile = false
        var defaultValue: String?
        if tagText.hasPrefix("!") {
            for part in try splitTags(String(tagText.dropFirst()), location: location) {
                switch part {
                case "var": isVar = true
                case "file": isFile = true
                case "str": break
                default:
                    if part.hasPrefix("default=") {
                        defaultValue = try substitute(unquote(String(part.dropFirst("default=".count))), defines: defines, location: location)
                    } else {
                        throw SGError.malformedInput("\(location): unknown tag '!\(part)' (summon knows !var, !file, !str, !default='x')")
                    }
                }
            }
        }
        let value = try substitute(raw, defines: defines, location: location)
        if isVar {
            let id = value.trimmingASCIIWhitespace()
            guard !id.isEmpty else { throw SGError.malformedInput("\(location): \(name): !var needs a secret id") }
            let ref: SecretReference
            do { ref = try SecretReference(nameOrReference: id) } catch let e as SGError {
                throw SGError.badReference("\(location): \(name): \(e.message)")
            }
            return SecretsFileEntry(name: name, value: .reference(ref), asFile: isFile, defaultValue: defaultValue, location: location)
        }
        return SecretsFileEntry(name: name, value: .literal(value), asFile: isFile, defaultValue: defaultValue, location: location)
    }

    /// `var:default='a:b':file` → ["var", "default='a:b'", "file"]: colons inside quotes stay.
    static func splitTags(_ text: String, location: String) throws -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for c in text {
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == ":" {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        if quote != nil { throw SGError.malformedInput("\(location): unterminated quote in tag '!\(text)'") }
        parts.append(current)
        return parts.filter { !$0.isEmpty }
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f {
            return String(s.dropFirst().dropLast())
        }
        return s
    }

    /// `$KEY` and `${KEY}` from `defines`; `$$` is `$`; a `$` not followed by a name stays.
    public static func substitute(_ text: String, defines: [String: String], location: String = "") throws -> String {
        guard text.contains("$") else { return text }
        let chars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func isStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.isASCII && c.properties.isAlphabetic) }
        func isBody(_ c: Unicode.Scalar) -> Bool { isStart(c) || (c >= "0" && c <= "9") }
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let n = chars[i + 1]
            if n == "$" { out.append("$"); i += 2; continue }
            var key = ""
            var end = i + 1
            if n == "{" {
                var j = i + 2
                while j < chars.count && chars[j] != "}" { j += 1 }
                guard j < chars.count else { out.append(c); i += 1; continue }
                key = String(String.UnicodeScalarView(chars[(i + 2)..<j]))
                end = j + 1
            } else if isStart(n) {
                var j = i + 1
                while j < chars.count && isBody(chars[j]) { j += 1 }
                key = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                end = j
            } else {
                out.append(c); i += 1; continue
            }
            guard let value = defines[key] else {
                throw SGError.usage("\(location.isEmpty ? "" : location + ": ")$\(key) is not defined; pass -D \(key)=VALUE (or write $$ for a literal $)")
            }
            out.append(contentsOf: value.unicodeScalars)
            i = end
        }
        return String(out)
    }
}
