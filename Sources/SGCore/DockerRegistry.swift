/// The registry a docker credential request is for, as one comparable key: `host[:port]`,
/// lower-cased, with Docker Hub's spellings folded into `docker.io`.
///
/// Clients send the server URL in several forms for the same registry: `https://index.docker.io/v1/`
/// (Docker Hub), `registry.corp:5000`, `https://registry.corp:5000`, sometimes with a path. The
/// scheme, path, query and fragment are dropped, as docker's own `ConvertToHostname` does, so
/// config rules name a registry once. Checked on bytes: anything that is not a plain host name,
/// IPv4 or bracketed IPv6 address with an optional port (user info, spaces, control bytes, a
/// foreign scheme) is refused rather than guessed at.
///
///     DockerRegistry.key("https://index.docker.io/v1/")   // "docker.io"
///     DockerRegistry.key("https://Registry.corp:5000")    // "registry.corp:5000"
public enum DockerRegistry {
    /// The longest server URL looked at; a registry URL is far shorter.
    public static let maxLength = 2048

    /// Docker Hub answers under these names; `docker login` stores it as `https://index.docker.io/v1/`.
    public static let hubAliases: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]
    public static let hub = "docker.io"

    /// The key for `serverURL`, or nil when it is not a registry address.
    public static func key(_ serverURL: String) -> String? {
        guard serverURL.utf8.count <= maxLength else { return nil }
        var bytes = Array(trimmed(serverURL).utf8)
        if let sep = firstIndex(of: Array("://".utf8), in: bytes) {
            let scheme = String(decoding: bytes[..<sep], as: UTF8.self).lowercased()
            guard scheme == "https" || scheme == "http" else { return nil }
            bytes.removeFirst(sep + 3)
        }
        // The authority ends at the path, query or fragment.
        if let end = bytes.firstIndex(where: { $0 == 0x2F || $0 == 0x3F || $0 == 0x23 }) { bytes.removeSubrange(end...) }
        guard !bytes.isEmpty else { return nil }
        var host: [UInt8]
        var port: [UInt8] = []
        if bytes[0] == 0x5B {   // [IPv6]
            guard let close = bytes.firstIndex(of: 0x5D) else { return nil }
            host = Array(bytes[...close])
            let inner = bytes[1..<close]
            guard !inner.isEmpty, inner.allSatisfy({ isHexDigit($0) || $0 == 0x3A || $0 == 0x2E }) else { return nil }
            let rest = bytes[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == 0x3A else { return nil }
                port = Array(rest.dropFirst())
                guard isPort(port) else { return nil }
            }
        } else {
            if let colon = bytes.firstIndex(of: 0x3A) {
                host = Array(bytes[..<colon])
                port = Array(bytes[(colon + 1)...])
                guard isPort(port) else { return nil }
            } else {
                host = bytes
            }
            guard isHostName(host) else { return nil }
            host = host.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
            if host.last == 0x2E { host.removeLast() }   // "registry.corp." is "registry.corp"
        }
        let name = String(decoding: host, as: UTF8.self)
        if port.isEmpty && hubAliases.contains(name) { return hub }
        return port.isEmpty ? name : name + ":" + String(decoding: port, as: UTF8.self)
    }

    /// Does the client name plain `http://`? (An insecure registry: no mapped password goes there.)
    public static func isPlainHTTP(_ serverURL: String) -> Bool {
        trimmed(serverURL).utf8.prefix(7).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }.elementsEqual("http://".utf8)
    }

    /// Letters, digits, '-', '.' and '_' (some internal registries use it), at most 253 bytes,
    /// no empty label.
    static func isHostName(_ h: [UInt8]) -> Bool {
        guard !h.isEmpty, h.count <= 253, h.first != 0x2E, h.first != 0x2D else { return false }
        var previous: UInt8 = 0
        for b in h {
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E || b == 0x5F
            guard ok, !(b == 0x2E && previous == 0x2E) else { return false }
            previous = b
        }
        return true
    }

    /// 1...65535 in decimal, without a sign or leading zero.
    static func isPort(_ p: [UInt8]) -> Bool {
        guard !p.isEmpty, p.count <= 5, p.first != 0x30, p.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(String(decoding: p, as: UTF8.self)) else { return false }
        return n <= 65535
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// Without leading and trailing ASCII white space, as docker-credential-helpers trims the URL
    /// it reads (Go's strings.TrimSpace, on bytes).
    public static func trimmed(_ s: String) -> String {
        let bytes = Array(s.utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }

    static func firstIndex(of needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
