import SGCore

/// `ArkTokenType` of ark-sdk-python, with its string values.
public enum ArkTokenType: String, Sendable, CaseIterable {
    case jwt = "JSON Web Token"
    case cookies = "Cookies"
    case token = "Token"
    case password = "Password"
    case custom = "Custom"
    case `internal` = "Internal"
}

/// `ArkAuthMethod` of ark-sdk-python, with its string values.
public enum ArkAuthMethod: String, Sendable, CaseIterable {
    case identity
    case identityServiceUser = "identity_service_user"
    case direct
    case `default`
    case other
}

/// A cached token in ArkKeyring's JSON shape (ark-sdk-python 2.1.4: `ArkKeyring` and `models/auth/ark_token.py`).
///
/// `serialized()` writes exactly what `ArkToken.model_dump_json()` writes: snake_case keys in
/// the model's order, nulls written, `expires_in` as naive local time. `parse` accepts what
/// `ArkToken.model_validate_json` accepts: snake_case or alias keys, any datetime form
/// pydantic takes; it fails where pydantic fails (missing token, unknown enum value).
///
///     let token = try ArkToken.parse(secretBytes)
///     try store.save(token, for: key)
public struct ArkToken: Sendable {
    /// The access token. Kept as `SecretBytes`; it is turned into a `String` only when the JSON
    /// is written.
    public var token: SecretBytes
    public var username: String?
    public var endpoint: String?
    public var tokenType: ArkTokenType
    public var authMethod: ArkAuthMethod?
    public var expiresIn: Instant?
    public var refreshToken: SecretBytes?
    /// Free-form metadata (Ark keeps `env` and a pickled cookie jar here), kept as written.
    public var metadata: [(String, JSONValue)]
    public var originVerify: String?

    public init(token: SecretBytes, username: String? = nil, endpoint: String? = nil,
                tokenType: ArkTokenType = .jwt, authMethod: ArkAuthMethod? = nil,
                expiresIn: Instant? = nil, refreshToken: SecretBytes? = nil,
                metadata: [(String, JSONValue)] = [], originVerify: String? = nil) {
        self.token = token
        self.username = username
        self.endpoint = endpoint
        self.tokenType = tokenType
        self.authMethod = authMethod
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.metadata = metadata
        self.originVerify = originVerify
    }

    /// Field names and their pydantic aliases, in the model's order.
    static let fields: [(name: String, alias: String)] = [
        ("token", "Token"), ("username", "Username"), ("endpoint", "Authentication Endpoint"),
        ("token_type", "Token Type"), ("auth_method", "Authentication Method"), ("expires_in", "Expires In"),
        ("refresh_token", "Refresh Token"), ("metadata", "Token Metadata"), ("origin_verify", "Origin Verify"),
    ]

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "not an ArkToken: \(reason)" }
    }

    /// Parses the JSON ArkKeyring stores. Throws `Invalid` where `model_validate_json` fails.
    public static func parse(_ bytes: SecretBytes) throws -> ArkToken {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw Invalid(reason: "not JSON (\(error))")
        }
        return try parse(value)
    }

    public static func parse(_ value: JSONValue) throws -> ArkToken {
        guard case .object(let pairs) = value else { throw Invalid(reason: "not a JSON object") }
        func field(_ name: String) -> JSONValue? {
            guard let f = fields.first(where: { $0.name == name }) else { return nil }
            // populate_by_name: the alias is the primary name; the field name also works.
            return pairs.last(where: { $0.0 == f.alias })?.1 ?? pairs.last(where: { $0.0 == f.name })?.1
        }
        func optionalString(_ name: String) throws -> String? {
            guard let v = field(name), !v.isNull else { return nil }
            guard case .string(let s) = v else { throw Invalid(reason: "\(name) is not a string") }
            return s.unsafeString()
        }
        guard case .string(let token)? = field("token") else {
            throw Invalid(reason: "token missing or not a string")
        }
        var tokenType = ArkTokenType.jwt
        if let v = field("token_type") {
            guard case .string(let s) = v, let t = ArkTokenType(rawValue: s.unsafeString()) else { throw Invalid(reason: "unknown token_type") }
            tokenType = t
        }
        var authMethod: ArkAuthMethod? = nil
        if let v = field("auth_method"), !v.isNull {
            guard case .string(let s) = v, let m = ArkAuthMethod(rawValue: s.unsafeString()) else { throw Invalid(reason: "unknown auth_method") }
            authMethod = m
        }
        var expires: Instant? = nil
        if let v = field("expires_in"), !v.isNull {
            guard let d = ArkDate.parse(v) else { throw Invalid(reason: "expires_in is not a datetime") }
            expires = d
        }
        var metadata: [(String, JSONValue)] = []
        if let v = field("metadata") {
            guard case .object(let m) = v else { throw Invalid(reason: "metadata is not an object") }
            metadata = m
        }
        var refresh: SecretBytes?
        if let v = field("refresh_token"), !v.isNull {
            guard case .string(let s) = v else { throw Invalid(reason: "refresh_token is not a string") }
            refresh = s
        }
        return ArkToken(token: token,
                        username: try optionalString("username"),
                        endpoint: try optionalString("endpoint"),
                        tokenType: tokenType, authMethod: authMethod, expiresIn: expires,
                        refreshToken: refresh,
                        metadata: metadata,
                        originVerify: try optionalString("origin_verify"))
    }

    /// The JSON `model_dump_json()` writes, as secret bytes (it holds the token in clear).
    public func serialized() -> SecretBytes {
        func str(_ s: String?) -> JSONValue { s.map { .text($0) } ?? .null }
        let doc = JSONValue.object([
            ("token", .string(token)),
            ("username", str(username)),
            ("endpoint", str(endpoint)),
            ("token_type", .text(tokenType.rawValue)),
            ("auth_method", str(authMethod?.rawValue)),
            ("expires_in", str(expiresIn.map(ArkDate.format))),
            ("refresh_token", refreshToken.map { .string($0) } ?? .null),
            ("metadata", .object(metadata)),
            ("origin_verify", str(originVerify)),
        ])
        return doc.serialized()
    }

    public var hasRefreshToken: Bool { !(refreshToken?.isEmpty ?? true) }

    /// Is the token usable for at least `margin` more seconds (no expiry: yes)?
    public func isValid(at now: Instant = Instant.now, margin: Double = ArkExpiry.graceSeconds) -> Bool {
        guard let expiresIn else { return true }
        return expiresIn.timeIntervalSince(now) > margin
    }
}

extension ArkToken: CustomStringConvertible {
    /// Never the token: type, user and expiry only.
    public var description: String {
        "ArkToken(\(tokenType.rawValue), user: \(username ?? "-"), expires: \(expiresIn.map(ArkDate.format) ?? "never"))"
    }
}

/// The expiry rules of `ArkKeyring.load_token` (ark-sdk-python 2.1.4, `ark_keyring.py` `load_token`).
public enum ArkExpiry {
    /// `DEFAULT_EXPIRATION_GRACE_DELTA_SECONDS`
    public static let graceSeconds: Double = 60
    /// `MAX_KEYRING_RECORD_TIME_HOURS`
    public static let maxRecordSeconds: Double = 12 * 3600

    public enum Verdict: Equatable, Sendable { case keep, delete }

    /// What `load_token` does with a stored token at `now`.
    public static func verdict(for token: ArkToken, at now: Instant = Instant.now) -> Verdict {
        guard let expires = token.expiresIn else { return .keep }
        if !token.hasRefreshToken, token.tokenType != .internal,
           expires.addingTimeInterval(-graceSeconds) < now {
            return .delete
        }
        if token.hasRefreshToken, expires.addingTimeInterval(maxRecordSeconds) < now {
            return .delete
        }
        return .keep
    }
}
