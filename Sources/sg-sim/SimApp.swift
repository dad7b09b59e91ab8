import Foundation

/// A Safeguard user token or rSTS access token and whom it belongs to.
struct TokenGrant {
    let user: String
    var expires: Date
}

/// Progress of one PKCE LoginController session, keyed by its code_challenge.
struct PKCESession {
    var user: String?
    var primaryDone = false
    var secondaryDone = false
    var secondaryState: String?
}

/// The simulator's state and its routes (the `*Routes.swift` files extend it). Every route runs under
/// one lock: the sim is for tests and demos, not for load.
final class SimApp: @unchecked Sendable {
    let dir: URL
    let pki: PKI
    var catalogue: Catalogue
    var identityPort = 0

    private let lock = NSLock()
    var log = RequestLog()
    var faults = FaultQueue()
    private var nextConn = 0
    var a2aEnabled = true

    var passwords: [String: String] = [:]          // password secrets' current values
    var privateKeyOverrides: [String: String] = [:] // set with PUT Credentials/SshKey (OpenSsh form)
    var stsTokens: [String: TokenGrant] = [:]
    var userTokens: [String: TokenGrant] = [:]
    var pkce: [String: PKCESession] = [:]
    var authCodes: [String: (challenge: String, user: String)] = [:]
    var identityState = IdentityState()             // CyberArk Identity logins (IdentityState.swift)
    var serviceAccessTokens: [String: Date] = [:]
    var accessRequests = 0

    static let userTokenLifetime: TimeInterval = 60 * 60
    static let stsTokenLifetime: TimeInterval = 5 * 60
    static let identityTokenLifetime = 900

    init(dir: URL, pki: PKI, catalogue: Catalogue) {
        self.dir = dir
        self.pki = pki
        self.catalogue = catalogue
        passwords = Catalogue.fixedPasswords
        passwords["rotating-pw"] = catalogue.rotatingPassword
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// A new TCP connection's id; admin connections are not counted in the stats.
    func newConnection(_ listener: Listener) -> Int {
        locked {
            nextConn += 1
            if listener != .admin { log.connections += 1 }
            return nextConn
        }
    }

    /// Routes one request, applies any queued fault, and logs it. Called on an event loop.
    func handle(_ req: SimRequest) -> (SimResponse, FaultAction?) {
        locked {
            if req.listener == .admin {
                return (admin(req), nil)
            }
            let fault = faults.take(req.path)
            var response: SimResponse
            if let replacement = fault?.replacement {
                response = replacement
            } else {
                switch req.listener {
                case .safeguard: response = safeguard(req)
                case .identity: response = identity(req)
                case .admin: response = .notFound
                }
            }
            log.record(req, status: response.status)
            return (response, fault)
        }
    }

    private func safeguard(_ req: SimRequest) -> SimResponse {
        if let r = a2aRoute(req) { return r }
        if let r = rstsRoute(req) { return r }
        if let r = coreRoute(req) { return r }
        return .notFound
    }

    // ---- token helpers shared by the route files ---------------------------------------------

    /// The user of a valid Bearer token; nil when missing, unknown, expired or logged out.
    func bearerUser(_ req: SimRequest) -> (user: String, remaining: Int)? {
        guard let token = req.bearer, let grant = userTokens[token] else { return nil }
        let left = grant.expires.timeIntervalSinceNow
        guard left > 0 else { return nil }
        return (grant.user, Int(left / 60))
    }

    /// Adds `X-TokenLifetimeRemaining` (minutes) to a Bearer-authenticated reply.
    func withLifetime(_ r: SimResponse, _ remaining: Int) -> SimResponse {
        var r = r
        r.headers.append(("X-TokenLifetimeRemaining", String(remaining)))
        return r
    }

    func expireTokens() {
        let past = Date(timeIntervalSinceNow: -1)
        for k in userTokens.keys { userTokens[k]?.expires = past }
        for k in stsTokens.keys { stsTokens[k]?.expires = past }
        for k in serviceAccessTokens.keys { serviceAccessTokens[k] = past }
    }
}
