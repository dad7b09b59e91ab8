import SGCore
import SGKeyring
import SGResolver

/// The authority that can log in, refresh and renew a profile's token: Safeguard rSTS or
/// CyberArk Identity (SGResolver/TokenAuthorities.swift).
func makeAuthority(for profile: Profile) -> (any TokenAuthority)? {
    TokenAuthorities.make(for: profile)
}
