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
            guard let name = body["secret"] as? String, let s = Catalogue.secret(named: name) else {
                return .json(400, .object([("error", .string("secret must name a seeded secret"))]))
            }
            do { try rotate(s) } catch {
                return .json(500, .object([("error", .string("rotation failed: \(error)"))]))
            }
            hubNotify(secret: s)
            return .json(200, .object([("ok", .bool(true)), ("secret", .string(name))]))
        case ("POST", ["admin", "hub"]):
            return hubAdmin(body)
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

    /// A new value for a seeded secret of any kind: a password, an OpenSSH private key (a fresh
    /// ed25519 key from ssh-keygen), or the ClientSecret of every API-key entry.
    func rotate(_ s: SeededSecret) throws {
        switch s.kind {
        case .password:
            let value = "rot-" + Tokens.alnum(20)
            passwords[s.name] = value
            if s.name == "rotating-pw" {
                catalogue.rotatingPassword = value
                try? catalogue.save(in: dir)
            }
        case .privateKey:
            let tmp = dir.appendingPathComponent("rotate-\(Tokens.alnum(8))")
            defer {
                try? FileManager.default.removeItem(at: tmp)
                try? FileManager.default.removeItem(atPath: tmp.path + ".pub")
            }
            try pki.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "\(s.name)@sg-sim-rotated", "-f", tmp.path])
            privateKeyOverrides[s.name] = try String(contentsOf: tmp, encoding: .utf8)
        case .apiKey:
            for i in catalogue.apiKeyEntries.indices { catalogue.apiKeyEntries[i]["ClientSecret"] = Tokens.alnum(32) }
            try? catalogue.save(in: dir)
        }
    }
}
