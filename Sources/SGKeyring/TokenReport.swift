import SGCore

/// What `sg-token status` and `list` show: one row per token item, never a token value.
public struct TokenReport: Sendable {
    public struct Row: Sendable {
        public var profile: String
        public var kind: String
        public var user: String
        public var endpoint: String
        public var expires: Instant?
        public var state: TokenState
        public var service: String
        public var account: String
    }

    public var backend: String
    public var location: String
    public var reason: String
    public var locked: Bool?
    public var rows: [Row]

    public init(backend: String, location: String, reason: String, locked: Bool?, rows: [Row]) {
        self.backend = backend
        self.location = location
        self.reason = reason
        self.locked = locked
        self.rows = rows
    }

    /// The keyring account a profile's items use.
    public static func account(of profile: Profile) -> String {
        if case .identity(let p) = profile { return p.arkProfileName }
        return profile.name
    }

    static func kind(_ key: TokenKey) -> String {
        key.serviceName == TokenKey.safeguardService ? "safeguard" : "cyberark-identity"
    }

    static func row(profile: String, key: TokenKey, entry: TokenStore.Entry, now: Instant) -> Row {
        var r = Row(profile: profile, kind: kind(key), user: key.postfix, endpoint: "", expires: nil,
                    state: TokenState.of(entry, at: now), service: key.service, account: key.account)
        if case .token(let t) = entry {
            r.user = t.username ?? key.postfix
            r.endpoint = t.endpoint ?? ""
            r.expires = t.expiresIn
        }
        return r
    }

    /// Rows for configured profiles (every candidate item, present or not).
    public static func status(profiles: [Profile], store: TokenStore, now: Instant = Instant.now) throws -> [Row] {
        var rows: [Row] = []
        for p in profiles.sorted(by: { $0.name < $1.name }) {
            for key in TokenKey.candidates(for: p) {
                let entry = try store.peek(key)
                if case .missing = entry, rows.contains(where: { $0.profile == p.name }) || key != TokenKey.candidates(for: p).last { continue }
                rows.append(row(profile: p.name, key: key, entry: entry, now: now))
            }
        }
        return rows
    }

    /// Rows for every token item in the keyring, named after the profile that uses it when one does.
    public static func list(profiles: [Profile], store: TokenStore, now: Instant = Instant.now) throws -> [Row] {
        var owner: [TokenKey: String] = [:]
        for p in profiles { for k in TokenKey.candidates(for: p) { owner[k] = p.name } }
        return try store.list().map { item in
            row(profile: owner[item.key] ?? item.key.account, key: item.key, entry: item.entry, now: now)
        }
    }

    // MARK: output

    public func json() -> String {
        func opt(_ s: String) -> JSONValue { s.isEmpty ? .null : .text(s) }
        var head: [(String, JSONValue)] = [("backend", .text(backend)), ("location", .text(location)), ("reason", .text(reason))]
        if let locked { head.append(("locked", .bool(locked))) }
        head.append(("tokens", .array(rows.map { r in
            .object([
                ("profile", .text(r.profile)), ("kind", .text(r.kind)), ("user", opt(r.user)),
                ("endpoint", opt(r.endpoint)), ("expires", r.expires.map { .text(ArkDate.format($0)) } ?? .null),
                ("state", .text(r.state.rawValue)), ("service", .text(r.service)), ("account", .text(r.account)),
            ])
        })))
        return JSONValue.object(head).serialized().unsafeString() + "\n"
    }

    public func table(showBackend: Bool) -> String {
        var out = ""
        // User names and endpoints come from keyring items (Ark's, the network's), the reason from
        // D-Bus: no control character of theirs may reach the terminal (issue 13 item 13).
        if showBackend {
            out += "keyring: \(backend) (\(location); \(reason))".escapingControlCharacters()
            if let locked { out += locked ? " LOCKED" : "" }
            out += "\n"
        }
        if rows.isEmpty { return out + "no tokens\n" }
        let header = ["PROFILE", "KIND", "USER", "ENDPOINT", "EXPIRES", "STATE"]
        let cells = rows.map { r in
            [r.profile, r.kind, r.user.isEmpty ? "-" : r.user, r.endpoint.isEmpty ? "-" : r.endpoint,
             r.expires.map(\.localDisplay) ?? "-", r.state.rawValue].map { $0.escapingControlCharacters() }
        }
        var widths = header.map(\.count)
        for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        for row in [header] + cells {
            out += row.enumerated().map { i, c in i == row.count - 1 ? c : c + String(repeating: " ", count: max(0, widths[i] - c.count)) }
                .joined(separator: "  ") + "\n"
        }
        return out
    }
}
