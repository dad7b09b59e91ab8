import SGCore

/// The cookies of one login session (rSTS PKCE, CyberArk Identity), values kept as `SecretBytes`
/// because they carry CSRF tokens, id tokens and refresh tokens.
///
/// Deliberately small: one host per jar (a session talks to one appliance or tenant), attributes
/// other than the name and value are ignored, a `Max-Age=0` or empty value deletes.
///
///     let jar = CookieJar()
///     jar.set("CsrfToken", csrf)
///     request.addCookies(from: jar)
///     jar.store(from: response)
public final class CookieJar: @unchecked Sendable {
    public private(set) var cookies: [(name: String, value: SecretBytes)] = []

    public init() {}

    public func set(_ name: String, _ value: SecretBytes) {
        cookies.removeAll { $0.name == name }
        cookies.append((name, value))
    }

    public func remove(_ name: String) { cookies.removeAll { $0.name == name } }

    public func value(_ name: String) -> SecretBytes? { cookies.first { $0.name == name }?.value }

    public var isEmpty: Bool { cookies.isEmpty }

    /// Reads every `Set-Cookie` of a response.
    public func store(from response: HTTPResponse) {
        for header in response.headers(named: "Set-Cookie") { store(setCookie: header) }
    }

    /// Parses one `Set-Cookie` value: `name=value; Path=/; Secure; Max-Age=0`.
    public func store(setCookie header: String) {
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        guard let first = parts.first, let eq = first.firstIndex(of: "=") else { return }
        let name = String(first[..<eq]).trimmingASCIIWhitespace()
        var value = String(first[first.index(after: eq)...]).trimmingASCIIWhitespace()
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        guard !name.isEmpty else { return }
        let expired = parts.dropFirst().contains { attr in
            let a = String(attr).trimmingASCIIWhitespace().lowercased()
            return a == "max-age=0" || a.hasPrefix("max-age=-")
        }
        if expired || value.isEmpty { remove(name) } else { set(name, SecretBytes(string: value)) }
    }

    /// The `Cookie` header value `a=1; b=2`, or nil when the jar is empty.
    public func header() -> SecretBytes? {
        guard !cookies.isEmpty else { return nil }
        let out = SecretBuffer()
        for (i, c) in cookies.enumerated() {
            if i > 0 { out.append("; ") }
            out.append(c.name)
            out.append("=")
            out.append(c.value)
        }
        return out.take()
    }

    /// Replaces the jar's content with the cookies of a `Cookie` header value (`a=1; b=2`).
    public func load(header: SecretBytes) {
        cookies.removeAll()
        for part in header.unsafeString().split(separator: ";") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let name = String(part[..<eq]).trimmingASCIIWhitespace()
            let value = String(part[part.index(after: eq)...])
            if !name.isEmpty { set(name, SecretBytes(string: value)) }
        }
    }
}

extension HTTPRequest {
    /// Sends the jar's cookies as a secret `Cookie` header.
    public mutating func addCookies(from jar: CookieJar) {
        if let value = jar.header() { secretHeaders.append(("Cookie", value)) }
    }
}
