/// A token API calls send as `Authorization: Bearer`, valid until a wall-clock time: the shape a
/// Safeguard user token (SGSafeguard's `UserToken`) and a CyberArk Identity token (SGIdentity's
/// `IdentityToken`) share, so expiry is reckoned once.
///
///     if token.secondsRemaining < 60 { /* refresh or log in again */ }
public protocol BearerToken: Sendable {
    var token: SecretBytes { get }
    /// Wall-clock seconds since the epoch when it stops being accepted.
    var expiresAt: Double { get }
}

extension BearerToken {
    /// Seconds left, by the wall clock (negative once expired).
    public var secondsRemaining: Double { expiresAt - WallClock.now }
}
