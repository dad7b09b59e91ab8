import SGCore
import SGCrypto
import SGTransport

/// The per-login secrets of the non-interactive PKCE flow (RFC 7636, S256).
struct PKCESecrets {
    /// base64url of 60 random bytes.
    let verifier: SecretBytes
    /// base64url(SHA-256(verifier)).
    let challenge: String
    /// base64url of 32 random bytes: the `CsrfToken` cookie and the `csrfTokenTextbox` field.
    let csrf: SecretBytes

    init() throws {
        verifier = Base64.encode(try Self.random(60), urlSafe: true)
        challenge = Base64.encode(Self.sha256(verifier), urlSafe: true).unsafeString()
        csrf = Base64.encode(try Self.random(32), urlSafe: true)
    }

    static func random(_ count: Int) throws -> SecretBytes {
        do { return try SecureRandom.secret(count: count) } catch {
            throw SGError.internalError("OpenSSL RAND_bytes failed (\(error))")
        }
    }

    static func sha256(_ data: SecretBytes) -> SecretBytes { SecretBytes(bytes: Digest.sha256(data)) }
}
