import SGCore
import SGTransport

/// `ArkAuthMethod` values for the two Identity logins (ark-keyring.md §3.3).
public enum IdentityAuthMethod: String, Sendable {
    case identity
    case identityServiceUser = "identity_service_user"
}

/// A CyberArk Identity login result, shaped after ArkKeyring's `ArkToken` so the token cache can
/// store it in Ark's JSON (`Token`, `Username`, `Authentication Endpoint`, `Expires In`,
/// `Refresh Token`, `Authentication Method`, `Token Metadata`).
public struct IdentityToken: BearerToken {
    /// The platform token (`Result.Token`, a JWT); for a service user, the `id_token`.
    public var token: SecretBytes
    public var refreshToken: SecretBytes?
    public var username: String
    /// The tenant URL that answered (after any PodFqdn redirect), `https://host[:port]`.
    public var endpoint: String
    /// Wall-clock seconds since the epoch: the JWT's `exp`, else now + `TokenLifetime`.
    public var expiresAt: Double
    public var authMethod: IdentityAuthMethod
    /// Extra state: `cookies` (the tenant's `Cookie` header, needed by refresh), `tenant_id`,
    /// `auth` (the `Result.Auth` session bearer). String values are secrets.
    public var metadata: [String: JSONValue]

    public init(token: SecretBytes, refreshToken: SecretBytes?, username: String, endpoint: String, expiresAt: Double,
                authMethod: IdentityAuthMethod, metadata: [String: JSONValue] = [:]) {
        self.token = token
        self.refreshToken = refreshToken
        self.username = username
        self.endpoint = endpoint
        self.expiresAt = expiresAt
        self.authMethod = authMethod
        self.metadata = metadata
    }

    /// The tenant id: metadata, else the token's unverified `tenant_id` claim.
    public var tenantId: String? {
        metadata["tenant_id"]?.text ?? JWT.claims(token)?["tenant_id"]?.text
    }
}

/// Reads claims of a JWT without verifying it (the tenant signs it; we only want `exp` and
/// `tenant_id`, as the ark SDK does).
public enum JWT {
    public static func claims(_ token: SecretBytes) -> JSONValue? {
        var bytes = token.unsafeArray()
        defer { SecretBytes.wipe(&bytes) }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64.decode(SecretBytes(bytes: parts[1])) else { return nil }
        return try? JSONValue.parse(payload)
    }

    /// The `exp` claim as wall-clock seconds.
    public static func expiry(_ token: SecretBytes) -> Double? {
        claims(token)?["exp"]?.intValue.map(Double.init)
    }
}
