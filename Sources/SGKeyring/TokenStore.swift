import SGCore

/// ArkKeyring's `save_token` / `load_token` over any `KeyringBackend`: the token's JSON under
/// `TokenKey`, and on load the expiry rules of ark-sdk-python 2.1.4, `ark_keyring.py` `load_token` (an expired token
/// with no refresh token, or a refreshable one more than 12 h past expiry, is deleted and
/// reported as missing). An item that is not a valid ArkToken is reported missing and left in
/// place, as Ark does.
///
///     let store = TokenStore(backend: try KeyringSelection.backend(config: config.keyring))
///     if let token = try store.load(key) { ... }
public final class TokenStore: Sendable {
    public let backend: any KeyringBackend
    /// The clock, for tests of the expiry table.
    let now: @Sendable () -> Instant

    public init(backend: any KeyringBackend, now: @escaping @Sendable () -> Instant = { Instant.now }) {
        self.backend = backend
        self.now = now
    }

    public func save(_ token: ArkToken, for key: TokenKey) throws {
        try backend.store(service: key.service, account: key.account, secret: token.serialized())
    }

    /// The token as `load_token` returns it (possibly expired but refreshable), or nil.
    public func load(_ key: TokenKey) throws -> ArkToken? {
        guard let raw = try backend.lookup(service: key.service, account: key.account) else { return nil }
        guard let token = try? ArkToken.parse(raw) else { return nil }
        if ArkExpiry.verdict(for: token, at: now()) == .delete {
            try backend.delete(service: key.service, account: key.account)
            return nil
        }
        return token
    }

    /// The first of `keys` holding a token valid at `now()` with `margin`, the expiry rules
    /// applied to each (an expired one is deleted as `load` does), with one keyring query when
    /// the keys share their account, as a profile's `TokenKey.candidates` do.
    public func firstValid(_ keys: [TokenKey], margin: Double) throws -> ArkToken? {
        guard let account = keys.first?.account, keys.allSatisfy({ $0.account == account }) else {
            for key in keys {
                if let t = try load(key), t.isValid(at: now(), margin: margin) { return t }
            }
            return nil
        }
        let found = try backend.lookup(services: keys.map(\.service), account: account)
        for key in keys {
            guard let raw = found[key.service], let token = try? ArkToken.parse(raw) else { continue }
            if ArkExpiry.verdict(for: token, at: now()) == .delete {
                try backend.delete(service: key.service, account: key.account)
                continue
            }
            if token.isValid(at: now(), margin: margin) { return token }
        }
        return nil
    }

    /// The stored token without applying the expiry rules (for `status`).
    public func peek(_ key: TokenKey) throws -> Entry {
        guard let raw = try backend.lookup(service: key.service, account: key.account) else { return .missing }
        guard let token = try? ArkToken.parse(raw) else { return .invalid }
        return .token(token)
    }

    public enum Entry: Sendable { case missing, invalid, token(ArkToken) }

    @discardableResult
    public func remove(_ key: TokenKey) throws -> Bool {
        try backend.delete(service: key.service, account: key.account)
    }

    /// Every item that looks like an sg or Ark ISP token (service `isp-*` or `sg-safeguard-*`).
    public func list() throws -> [(key: TokenKey, entry: Entry)] {
        var out: [(TokenKey, Entry)] = []
        for item in try backend.search(attributes: [:], loadSecrets: true) {
            let serviceName: String
            if item.service.hasPrefix(TokenKey.safeguardService + "-") { serviceName = TokenKey.safeguardService }
            else if item.service.hasPrefix(TokenKey.identityService + "-") { serviceName = TokenKey.identityService }
            else { continue }
            let key = TokenKey(serviceName: serviceName, postfix: String(item.service.dropFirst(serviceName.count + 1)), account: item.account)
            if item.locked { continue }
            let entry: Entry = item.secret.flatMap { try? ArkToken.parse($0) }.map { .token($0) } ?? .invalid
            out.append((key, entry))
        }
        return out.sorted { ($0.0.account, $0.0.service) < ($1.0.account, $1.0.service) }
    }
}

/// How a token stands right now, for `status` and `list`.
public enum TokenState: String, Sendable {
    case valid, refreshable, expired, missing, invalid

    public static func of(_ entry: TokenStore.Entry, at now: Instant = Instant.now) -> TokenState {
        switch entry {
        case .missing: return .missing
        case .invalid: return .invalid
        case .token(let t):
            if t.isValid(at: now) { return .valid }
            if ArkExpiry.verdict(for: t, at: now) == .keep && t.hasRefreshToken { return .refreshable }
            return .expired
        }
    }
}
