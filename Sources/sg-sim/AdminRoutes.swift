import Foundation

/// The plain-HTTP admin listener: fault injection, rotation, token expiry, the A2A switch, and the
/// request log. Replies never carry a secret value.
extension SimApp {
    func admin(_ req: SimRequest) -> SimResponse {
        let body = (JSON.parse(req.body) as? [String: Any]) ?? [:]
        let okReply = SimResponse.json(200, .object([("ok", .bool(true))]))
        switch (req.method, req.segments) {
        case ("POST", ["admin", "fault"]):
            guard let fault = Fault(body) else {
                return .json(400, .object([("error", .string("need status, delayMs, reset or certAbort, and count > 0"))]))
            }
            faults.add(fault)
            return okReply
        case ("POST", ["admin", "clear"]):
            faults.clear()
            identityState.refreshBodyEmpty = false
            return okReply
        case (_, let s) where s.count >= 3 && s[0] == "admin" && s[1] == "identity":
            return identityAdmin(req, body)
        case ("POST", ["admin", "rotate"]):
            guard let name = body["secret"] as? String, let s = Catalogue.secret(named: name), s.kind == .password else {
                return .json(400, .object([("error", .string("secret must name a seeded password secret"))]))
            }
            let value = "rot-" + Tokens.alnum(20)
            passwords[name] = value
            if name == "rotating-pw" {
                catalogue.rotatingPassword = value
                try? catalogue.save(in: dir)
            }
            return .json(200, .object([("ok", .bool(true)), ("secret", .string(name))]))
        case ("POST", ["admin", "expire-tokens"]):
            expireTokens()
            return okReply
        case ("POST", ["admin", "a2a"]):
            guard let enabled = body["enabled"] as? Bool else {
                return .json(400, .object([("error", .string("need {\"enabled\": bool}"))]))
            }
            a2aEnabled = enabled
            return okReply
        case ("GET", ["admin", "log"]):
            return .json(200, .array(log.entries.map(\.json)))
        case ("GET", ["admin", "stats"]):
            return .json(200, .object([("connections", .int(log.connections)), ("requests", .int(log.requests)),
                                       ("logins", .int(log.logins))]))
        case ("POST", ["admin", "reset-log"]):
            log.reset()
            return okReply
        default:
            return .json(404, .object([("error", .string("unknown admin endpoint"))]))
        }
    }
}
