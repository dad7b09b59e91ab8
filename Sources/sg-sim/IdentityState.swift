/// One StartAuthentication session: where the user is in the login.
struct IdentitySession {
    let user: IdentityUser
    /// Order of creation: admin calls act on the user's newest login, not on one a test abandoned.
    let serial: Int
    /// The `podloc` cookie this session's StartAuthentication set; later calls must carry it.
    let podloc: String
    var passwordDone = false
    /// The out-of-band mechanism started with `StartOOB`, and what it sent.
    var oob: (mechanism: String, polls: Int, sentCode: String?)?
    var approved = false
}

/// One external-IdP login (`IdpLoginSessionId`), completed by `POST /admin/identity/idp-complete`.
struct IdpLogin {
    let user: IdentityUser
    let serial: Int
    let podloc: String
    var completed = false
    /// The PIN the IdP shows after its login (PIN users only).
    var pin: String?
}

/// The Identity tenant's state: sessions, refresh tokens, what was "sent", and the admin modes.
struct IdentityState {
    var sessions: [String: IdentitySession] = [:]
    var idpLogins: [String: IdpLogin] = [:]
    var refreshTokens: [String: String] = [:]       // refresh token -> user
    /// The last code sent by email/SMS per user (`GET /admin/identity/outbox`).
    var outbox: [String: (mechanism: String, code: String)] = [:]
    /// `POST /admin/identity/refresh {"body":"empty"}`: refresh answers 200 with the token cookies only.
    var refreshBodyEmpty = false
    private(set) var serial = 0

    mutating func nextSerial() -> Int {
        serial += 1
        return serial
    }
}
