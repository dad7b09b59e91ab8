#if canImport(Glibc)
import Glibc
#endif

/// One credential as git's credential protocol carries it (`git help credential`): the attributes
/// sg understands; every other attribute is dropped on reading and so never sent back.
///
///     let request = try GitCredential.read(fd: 0)        // protocol=https\nhost=git.corp\n\n
///     try GitCredential.Answer(username: "svc", password: pw).write(fd: 1)
public struct GitCredential: Sendable {
    public var `protocol`: String?
    /// Host, with `:port` when git has one (`git.corp:8443`).
    public var host: String?
    /// Repository path without a leading slash; git sends it only with `credential.useHttpPath`.
    public var path: String?
    public var username: String?
    public var password: SecretBytes?
    /// Unix seconds; 0 means "never" in git.
    public var passwordExpiryUTC: Int64?

    /// The latest `password_expiry_utc` sg keeps: 9999-12-31T23:59:59Z. git reads a value it cannot
    /// hold as "never expires"; so does sg, for anything outside 1...latestExpiry, so that no
    /// conversion of a hostile timestamp (Int64.max as a Double is beyond Int64) can trap.
    public static let latestExpiry: Int64 = 253_402_300_799

    /// A `password_expiry_utc` value, or nil (no expiry) when it is not a timestamp sg can hold.
    public static func expiry(_ text: String) -> Int64? {
        guard let t = Int64(text), t >= 1, t <= latestExpiry else { return nil }
        return t
    }

    /// Wall-clock seconds as a `password_expiry_utc`, or nil where no exact whole second exists in range.
    public static func expiry(seconds: Double) -> Int64? {
        guard seconds.isFinite, seconds >= 1, seconds <= Double(latestExpiry) else { return nil }
        return Int64(seconds.rounded(.down))
    }
    public var oauthRefreshToken: SecretBytes?

    public init(protocol: String? = nil, host: String? = nil, path: String? = nil, username: String? = nil) {
        self.protocol = `protocol`
        self.host = host
        self.path = path
        self.username = username
    }

    /// git refuses a longer line (including its newline); sg refuses it too rather than truncate.
    public static let maxLine = 65535
    /// Upper bound of a whole request; git's own requests are far smaller.
    public static let maxInput = 1 << 20

    /// `protocol://host/path`, as `git config --get-urlmatch` wants it; nil without protocol or host.
    public var url: String? {
        guard let p = self.protocol, let h = host else { return nil }
        return "\(p)://\(h)/\(path ?? "")"
    }

    /// The host without `:port`, lower-cased; IPv6 brackets kept.
    public var hostName: String? { host.map { GitCredential.split(host: $0).name } }
    /// The explicit port, if any.
    public var port: Int? { host.flatMap { GitCredential.split(host: $0).port } }

    /// Splits `host[:port]` (or `[v6]:port`) at the port's colon.
    public static func split(host: String) -> (name: String, port: Int?) {
        var name = Substring(host)
        var port: Int?
        if let colon = host.lastIndex(of: ":"), !host[colon...].contains("]"),
           host.hasPrefix("[") || host.firstIndex(of: ":") == colon {
            name = host[..<colon]
            port = Int(host[host.index(after: colon)...])
            if port == nil { name = Substring(host) }
        }
        return (name.lowercased(), port)
    }

    // MARK: reading

    /// Reads a request from `fd` until a blank line or EOF. A line without `=`, a line longer
    /// than git allows or a request over 1 MiB is malformed input (exit 65).
    public static func read(fd: Int32) throws -> GitCredential {
        let buffer = SecretBuffer(capacity: 4096, limit: maxInput)
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { SecretBytes.wipe(&chunk) }
        var scanned = 0, lineStart = 0
        reading: while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 { if errno == EINTR { continue }; throw SGError.io("reading stdin: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            let ok = chunk.withUnsafeBytes { buffer.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            guard ok else { throw SGError.malformedInput("credential request larger than \(maxInput) bytes") }
            // Stop at the blank line that ends the request: git may keep stdin open after it.
            let done = buffer.withUnsafeBytes { raw -> Bool in
                while scanned < raw.count {
                    if raw[scanned] == 0x0A {
                        let len = scanned - lineStart
                        if len == 0 || (len == 1 && raw[lineStart] == 0x0D) { return true }
                        lineStart = scanned + 1
                    }
                    scanned += 1
                }
                return false
            }
            if done { break reading }
        }
        return try buffer.withUnsafeBytes { try parse($0) }
    }

    /// Parses a request held in memory (tests, fuzzing). Same rules as `read(fd:)`.
    public static func parse(_ raw: UnsafeRawBufferPointer) throws -> GitCredential {
        var c = GitCredential()
        var start = 0
        while start < raw.count {
            var end = start
            while end < raw.count && raw[end] != 0x0A { end += 1 }
            if end - start + 1 > maxLine { throw SGError.malformedInput("credential line longer than \(maxLine) bytes") }
            var lineEnd = end
            if lineEnd > start && raw[lineEnd - 1] == 0x0D { lineEnd -= 1 }   // git's strbuf_getline drops CR too
            if lineEnd == start { break }                                     // blank line: end of request
            let line = UnsafeRawBufferPointer(rebasing: raw[start..<lineEnd])
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else {
                throw SGError.malformedInput("invalid credential line (no '='); expected key=value lines")
            }
            if line.contains(0) { throw SGError.malformedInput("NUL byte in a credential line") }
            let key = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<eq]), as: UTF8.self)
            let value = UnsafeRawBufferPointer(rebasing: line[(eq + 1)...])
            try c.set(key, value)
            start = end + 1
        }
        return c
    }

    private mutating func set(_ key: String, _ value: UnsafeRawBufferPointer) throws {
        func text() -> String { String(decoding: value, as: UTF8.self) }
        switch key {
        case "protocol": self.protocol = text()
        case "host": host = text()
        case "path": path = text()
        case "username": username = text()
        case "password": password = SecretBytes(bytes: value)
        case "password_expiry_utc": passwordExpiryUTC = GitCredential.expiry(text())
        case "oauth_refresh_token": oauthRefreshToken = SecretBytes(bytes: value)
        case "url":
            // As in git, url= replaces everything read before it.
            self = GitCredential()
            try applyURL(text())
        default:
            break   // wwwauth[], capability[], state[], future attributes: not ours
        }
    }

    /// Parses `proto://[user[:pass]@]host[:port][/path]` as git's `credential_from_url` does.
    mutating func applyURL(_ url: String) throws {
        guard let sep = url.firstRange(of: "://") else {
            throw SGError.malformedInput("url= value has no scheme (expected proto://host/path)")
        }
        self.protocol = String(url[..<sep.lowerBound])
        var rest = url[sep.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                username = GitCredential.percentDecode(userinfo[..<colon])
                password = SecretBytes(string: GitCredential.percentDecode(userinfo[userinfo.index(after: colon)...]))
            } else {
                username = GitCredential.percentDecode(userinfo)
            }
            authority = authority[authority.index(after: at)...]
        }
        host = GitCredential.percentDecode(authority)
        rest = rest[slash...]
        if !rest.isEmpty {
            let p = rest.dropFirst()
            path = p.isEmpty ? nil : GitCredential.percentDecode(p)
        }
    }

    static func percentDecode(_ s: Substring) -> String {
        String(decoding: percentDecodedBytes(s.utf8), as: UTF8.self)
    }

    /// `%XX` (either case) decoded once; an invalid escape is kept as written.
    static func percentDecodedBytes<Bytes: Collection<UInt8>>(_ raw: Bytes) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(raw)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return out
    }

    // MARK: writing

    /// What a helper tells git on `get`: only the attributes git understands from us.
    public struct Answer: Sendable {
        public var username: String?
        public var password: SecretBytes
        public var passwordExpiryUTC: Int64?
        public var oauthRefreshToken: SecretBytes?

        public init(username: String?, password: SecretBytes, passwordExpiryUTC: Int64? = nil, oauthRefreshToken: SecretBytes? = nil) {
            self.username = username
            self.password = password
            self.passwordExpiryUTC = passwordExpiryUTC
            self.oauthRefreshToken = oauthRefreshToken
        }

        /// The protocol text. A value holding CR, LF or NUL would inject attributes into git's
        /// view of the credential, so it is refused (exit 65) and nothing is produced.
        public func encoded() throws -> SecretBytes {
            if let u = username, u.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
                throw SGError.malformedInput("the username contains a line break or NUL; refusing to pass it to git")
            }
            if password.containsLineBreakOrNUL {
                throw SGError.malformedInput("the password contains a line break or NUL; refusing to pass it to git (it would inject credential attributes)")
            }
            if let t = oauthRefreshToken, t.containsLineBreakOrNUL {
                throw SGError.malformedInput("the refresh token contains a line break or NUL; refusing to pass it to git")
            }
            let out = SecretBuffer(capacity: password.count + 128)
            if let u = username { out.append("username=\(u)\n") }
            out.append("password=")
            out.append(password)
            out.append("\n")
            if let e = passwordExpiryUTC { out.append("password_expiry_utc=\(e)\n") }
            if let t = oauthRefreshToken {
                out.append("oauth_refresh_token=")
                out.append(t)
                out.append("\n")
            }
            return out.take()
        }
    }
}
