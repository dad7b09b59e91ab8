import Foundation

/// Admin calls that play the Identity user's other devices and the tenant's modes (docs/sim.md):
/// approve an out-of-band login, read the code "sent" by email/SMS, read the authenticator's TOTP,
/// complete an external-IdP login in the "browser", end every login session, and choose how refresh answers.
extension SimApp {
    func identityAdmin(_ req: SimRequest, _ body: [String: Any]) -> SimResponse {
        let user = (body["user"] as? String) ?? req.param("user") ?? ""
        func error(_ text: String) -> SimResponse { .json(400, .object([("error", .string(text))])) }
        switch (req.method, Array(req.segments.dropFirst(2))) {
        case ("POST", ["approve"]):
            guard approveIdentityLogin(user: user) else { return error("no out-of-band login of \(user) is waiting") }
            return .json(200, .object([("ok", .bool(true))]))
        case ("GET", ["outbox"]):
            guard let sent = identityState.outbox[user] else { return error("nothing was sent to \(user)") }
            return .json(200, .object([("mechanism", .string(sent.mechanism)), ("code", .string(sent.code))]))
        case ("GET", ["totp"]):
            let time = req.param("time").flatMap(Int.init) ?? Tokens.now
            let digits = req.param("digits").flatMap(Int.init).map { min(max($0, 6), 9) } ?? 6
            return .json(200, .object([("code", .string(TOTP.code(key: IdentityCatalogue.totpKey, time: time, digits: digits)))]))
        case ("POST", ["idp-complete"]):
            guard let pin = completeIdpLogin(user: user) else { return error("no IdP login of \(user) is waiting") }
            return .json(200, .object([("ok", .bool(true)), ("pin", pin.isEmpty ? .null : .string(pin))]))
        case ("POST", ["expire-sessions"]):
            identityState.sessions.removeAll()
            identityState.idpLogins.removeAll()
            return .json(200, .object([("ok", .bool(true))]))
        case ("POST", ["refresh"]):
            guard let mode = body["body"] as? String, mode == "empty" || mode == "envelope" else {
                return error("need {\"body\": \"empty\"|\"envelope\"}")
            }
            identityState.refreshBodyEmpty = mode == "empty"
            return .json(200, .object([("ok", .bool(true))]))
        default:
            return .json(404, .object([("error", .string("unknown admin endpoint"))]))
        }
    }
}
