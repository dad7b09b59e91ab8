/// A JSON document whose string values are `SecretBytes`, for appliance responses that carry
/// secrets (tokens, API-key secrets): nothing passes through `String` unless the caller asks
/// for a non-secret field with `text`.
///
///     let json = try JSONValue.parse(response.body)
///     let token = try json.require("UserToken").secret()      // SecretBytes
///     let status = json["Status"]?.text                        // "Success"
public indirect enum JSONValue: Sendable {
    case string(SecretBytes)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Member by exact key, else by case-insensitive key (the appliance's SDKs differ in case).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        if let exact = members.first(where: { $0.0 == key }) { return exact.1 }
        let lower = key.lowercased()
        return members.first(where: { $0.0.lowercased() == lower })?.1
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectMembers: [(String, JSONValue)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    /// A non-secret value as text (strings, numbers, booleans).
    public var text: String? {
        switch self {
        case .string(let s): return s.unsafeString()
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .number(let n):
            if let i = Int(n) { return i }
            // 1e300, 1e19, NaN: not an Int (converting them would trap).
            guard let d = Double(n), d.isFinite, d >= -9.2e18, d <= 9.2e18 else { return nil }
            return Int(d)
        case .string(let s): return Int(s.unsafeString())
        default: return nil
        }
    }

    public var isNull: Bool { if case .null = self { return true }; return false }

    /// A string value kept secret.
    public func secret() throws -> SecretBytes {
        if case .string(let s) = self { return s }
        throw SGError.unexpectedResponse("expected a JSON string")
    }

    /// The member, or an unexpected-response error naming it.
    public func require(_ key: String) throws -> JSONValue {
        guard let v = self[key], !v.isNull else { throw SGError.unexpectedResponse("response lacks '\(key)'") }
        return v
    }

    // MARK: parsing

    public static func parse(_ bytes: SecretBytes, maxDepth: Int = 64) throws -> JSONValue {
        try bytes.withUnsafeBytes { raw in
            var p = JSONReader(raw: raw, maxDepth: maxDepth)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            guard p.i == raw.count else { throw SGError.unexpectedResponse("trailing data after JSON") }
            return v
        }
    }

    public static func parse(_ text: String) throws -> JSONValue {
        try parse(SecretBytes(string: text))
    }

    // MARK: writing

    /// Serialises compactly, keys in the given order; strings are written from their secret bytes.
    public func serialized() -> SecretBytes {
        let out = SecretBuffer()
        write(to: out)
        return out.take()
    }

    public func write(to out: SecretBuffer) {
        switch self {
        case .string(let s): JSONString.appendLiteral(s, to: out)
        case .number(let n): out.append(n)
        case .bool(let b): out.append(b ? "true" : "false")
        case .null: out.append("null")
        case .array(let a):
            out.append("[")
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(",") }
                v.write(to: out)
            }
            out.append("]")
        case .object(let m):
            out.append("{")
            for (i, (k, v)) in m.enumerated() {
                if i > 0 { out.append(",") }
                JSONString.appendLiteral(SecretBytes(string: k), to: out)
                out.append(":")
                v.write(to: out)
            }
            out.append("}")
        }
    }

    /// A string value from plain text (non-secret).
    public static func text(_ s: String) -> JSONValue { .string(SecretBytes(string: s)) }
}

private struct JSONReader {
    let raw: UnsafeRawBufferPointer
    let maxDepth: Int
    var i = 0

    init(raw: UnsafeRawBufferPointer, maxDepth: Int) {
        self.raw = raw
        self.maxDepth = maxDepth
    }

    func fail(_ what: String) -> SGError { .unexpectedResponse("invalid JSON: \(what) at byte \(i)") }

    mutating func skipSpace() {
        while i < raw.count, raw[i] == 0x20 || raw[i] == 0x0A || raw[i] == 0x0D || raw[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw fail("nested too deeply") }
        guard i < raw.count else { throw fail("unexpected end") }
        switch raw[i] {
        case 0x7B: return try object(depth: depth)
        case 0x5B: return try array(depth: depth)
        case 0x22: return .string(try string())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard i < raw.count, raw[i] == c else { throw fail("bad literal") }
            i += 1
        }
    }

    mutating func number() throws -> String {
        let start = i
        if i < raw.count, raw[i] == 0x2D { i += 1 }
        var digits = 0
        while i < raw.count, (0x30...0x39).contains(raw[i]) || raw[i] == 0x2E || raw[i] == 0x65 || raw[i] == 0x45 || raw[i] == 0x2B || raw[i] == 0x2D {
            i += 1
            digits += 1
        }
        guard digits > 0, i - start <= 64 else { throw fail("bad number") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<i]), as: UTF8.self)
    }

    mutating func string() throws -> SecretBytes {
        let start = i
        i += 1
        while i < raw.count {
            if raw[i] == 0x5C { i += 2; continue }
            if raw[i] == 0x22 { break }
            i += 1
        }
        guard i < raw.count else { throw fail("unterminated string") }
        i += 1
        let literal = SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: raw[start..<i]))
        return try JSONString.decodeLiteral(literal)
    }

    mutating func array(depth: Int) throws -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < raw.count, raw[i] == 0x5D { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < raw.count else { throw fail("unterminated array") }
            if raw[i] == 0x2C { i += 1; continue }
            if raw[i] == 0x5D { i += 1; return .array(items) }
            throw fail("expected , or ]")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        i += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if i < raw.count, raw[i] == 0x7D { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < raw.count, raw[i] == 0x22 else { throw fail("expected a key") }
            let key = try string().unsafeString()
            skipSpace()
            guard i < raw.count, raw[i] == 0x3A else { throw fail("expected :") }
            i += 1
            skipSpace()
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard i < raw.count else { throw fail("unterminated object") }
            if raw[i] == 0x2C { i += 1; continue }
            if raw[i] == 0x7D { i += 1; return .object(members) }
            throw fail("expected , or }")
        }
    }
}
