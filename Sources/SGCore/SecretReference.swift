/// A reference to a secret, the one syntax every tool accepts:
/// `sg:NAME`, `sg:NAME#FIELD`, or `sg:token/PROFILE`.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    case named(String, field: String?)
    case token(profile: String)

    public static let prefix = "sg:"

    /// Does this text look like a reference (starts with `sg:`)?
    public static func looksLikeReference(_ text: String) -> Bool { text.hasPrefix(prefix) }

    public init(parsing text: String) throws {
        guard text.hasPrefix(Self.prefix) else {
            throw SGError.badReference("'\(text.prefix(64))' does not start with sg:")
        }
        let body = String(text.dropFirst(Self.prefix.count))
        if body.hasPrefix("token/") {
            let profile = String(body.dropFirst("token/".count))
            guard Self.isValidName(profile) else { throw SGError.badReference("'\(text.prefix(64))': bad profile name") }
            self = .token(profile: profile)
            return
        }
        let parts = body.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        guard Self.isValidName(name) else {
            throw SGError.badReference("'\(text.prefix(64))': a name is letters, digits, '.', '_' and '-'")
        }
        var field: String?
        if parts.count == 2 {
            let f = String(parts[1])
            guard !f.isEmpty, f.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw SGError.badReference("'\(text.prefix(64))': bad field after '#'")
            }
            field = f
        }
        self = .named(name, field: field)
    }

    public static func isValidName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.utf8.count <= 128 else { return false }
        func ok(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
        }
        guard ok(first) else { return false }
        return s.unicodeScalars.allSatisfy { ok($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    public var description: String {
        switch self {
        case .named(let n, let f): return "sg:\(n)" + (f.map { "#\($0)" } ?? "")
        case .token(let p): return "sg:token/\(p)"
        }
    }
}

extension SecretReference {
    /// `sg:...` as given, or a bare NAME as `sg:NAME` (summon passes variable ids bare).
    ///
    ///     let ref = try SecretReference(nameOrReference: "db")   // sg:db
    public init(nameOrReference text: String) throws {
        self = try SecretReference(parsing: SecretReference.looksLikeReference(text) ? text : SecretReference.prefix + text)
    }
}
