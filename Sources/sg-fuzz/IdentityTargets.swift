import SGCore
import SGIdentity
import SGTransport

/// CyberArk Identity replies: the tokens a RefreshPlatformToken answer carries (cookies and body).
let identityFuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "identity-refresh",
               summary: "IdentityClient.refreshed: Set-Cookie lines, a blank line, then the body of a 200 RefreshPlatformToken reply",
               run: fuzzIdentityRefresh),
]

func fuzzIdentityRefresh(_ raw: UnsafeRawBufferPointer) {
    let bytes = Array(raw)
    var split = bytes.count
    for i in 0..<max(bytes.count - 1, 0) where bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
        split = i
        break
    }
    let headers = String(decoding: bytes[..<split], as: UTF8.self).split(separator: "\n").map { ("Set-Cookie", String($0)) }
    let body = split < bytes.count ? Array(bytes[(split + 2)...]) : []
    let response = HTTPResponse(status: 200, headers: headers, body: SecretBytes(bytes: body), appliance: "fuzz:443", reusedConnection: false)
    let old = IdentityToken(token: SecretBytes(string: "eyJhbGciOiJub25lIn0.eyJ0ZW5hbnRfaWQiOiJUMSJ9.x"), refreshToken: SecretBytes(string: "r1"),
                            username: "fuzz@example", endpoint: "https://fuzz.example", expiresAt: 0, authMethod: .identity)
    guard let fresh = try? IdentityClient.refreshed(old, refreshToken: SecretBytes(string: "r1"), tenant: "T1", response: response,
                                                     jar: CookieJar(), profile: "fuzz") else { return }
    _ = JWT.claims(fresh.token)
    _ = fresh.tenantId
}
