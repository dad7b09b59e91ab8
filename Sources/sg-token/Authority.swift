import SGCore
import SGKeyring

/// The seam where the Safeguard rSTS and CyberArk Identity clients plug in: the authority that
/// can refresh or renew a profile's token. Until those clients are wired, nothing can, so
/// `get` serves only cached tokens and otherwise exits 77 with the login hint.
func makeAuthority(for profile: Profile) -> (any TokenAuthority)? {
    nil
}
