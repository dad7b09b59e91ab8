import SGCore
import Synchronization

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
///
/// Safe to share between threads (an Identity login polls while it waits for a typed code):
/// every read and change holds the jar's mutex.
public final class CookieJar: Sendable {
    private let state = Mutex<[(name: String, value: SecretBytes)]>([])

    public init() {}

    /// The cookies in the order they were first set.
    public var cookies: [(name: String, value: SecretBytes)] { state.withLock { $0 } }

    public func set(_ name: String, _ value: SecretBytes) {
        state.withLock { cookies in
            cookies.removeAll { $0.name == name }
            cookies.append((name, value))
        }
    }

    public func remove(_ name: String) { state.withLock { $0.removeAll { $0.name == name } } }

    public func value(_ name: String) -> SecretBytes? { state.withLock { $0.first { $0.name == name }?.value } }

    public var isEmpty: Bool { state.withLock { $0.isEmpty } }

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
        let cookies = self.cookies
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
        var loaded: [(name: String, value: SecretBytes)] = []
        for part in header.unsafeString().split(separator: ";") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let name = String(part[..<eq]).trimmingASCIIWhitespace()
            let value = String(part[part.index(after: eq)...])
            guard !name.isEmpty else { continue }
            loaded.removeAll { $0.name == name }
            loaded.append((name, SecretBytes(string: value)))
        }
        state.withLock { $0 = loaded }
    }
}

extension HTTPRequest {
    /// Sends the jar's cookies as a secret `Cookie` header.
    public mutating func addCookies(from jar: CookieJar) {
        if let value = jar.header() { secretHeaders.append(("Cookie", value)) }
    }
}
