import SGCore

/// How a Safeguard user token was obtained (`sg-token login --method ...`).
public enum SafeguardLoginMethod: String, Sendable, CaseIterable {
    case pkce
    case password
    case certificate
    /// A token handed in from a source and validated, not minted here.
    case token
}

/// A Safeguard user token (the `UserToken` of `Token/LoginResponse`), what API calls send as
/// `Authorization: Bearer`.
public struct UserToken: BearerToken {
    public let token: SecretBytes
    /// Wall-clock seconds since the epoch when the appliance stops accepting it.
    public let expiresAt: Double
    public let username: String?
    /// The rSTS provider id the login used (`local`, `certificate`, `ad1`...).
    public let provider: String?
    public let method: SafeguardLoginMethod
    /// The appliance that issued it (`host[:port]`).
    public let appliance: String

    public init(token: SecretBytes, expiresAt: Double, username: String?, provider: String?, method: SafeguardLoginMethod, appliance: String) {
        self.token = token
        self.expiresAt = expiresAt
        self.username = username
        self.provider = provider
        self.method = method
        self.appliance = appliance
    }
}

/// An rSTS identity provider as `GET AuthenticationProviders` lists it.
public struct IdentityProvider: Sendable, Equatable {
    /// `RstsProviderId`: what PKCE sends as `directoryComboBox`.
    public let id: String
    public let name: String?
    /// `RstsProviderScope`, else `rsts:sts:primaryproviderid:<id>`: what the grants send as `scope`.
    public let scope: String

    public init(id: String, name: String? = nil, scope: String? = nil) {
        self.id = id
        self.name = name
        self.scope = scope ?? "rsts:sts:primaryproviderid:\(id)"
    }

    /// Entries every appliance has but does not always list (safeguard-ps adds them itself).
    public static let builtIn = [IdentityProvider(id: "local", name: "Local"), IdentityProvider(id: "certificate", name: "Certificate")]

    /// The three-pass, case-insensitive match of the SDKs: exact `RstsProviderId`, exact
    /// `Name` (an AD domain name), then a substring of `RstsProviderId`. Nil when none matches.
    public static func match(_ wanted: String, in providers: [IdentityProvider]) -> IdentityProvider? {
        let w = wanted.lowercased()
        let all = providers + builtIn.filter { b in !providers.contains { $0.id.lowercased() == b.id } }
        if let p = all.first(where: { $0.id.lowercased() == w }) { return p }
        if let p = all.first(where: { $0.name?.lowercased() == w }) { return p }
        if !w.isEmpty, let p = all.first(where: { $0.id.lowercased().contains(w) }) { return p }
        return nil
    }
}
