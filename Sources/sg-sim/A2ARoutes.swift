import Foundation

/// A2A credential retrieval and the certificate-only A2A registration listing.
extension SimApp {
    static let a2aDisabledCode = 60625

    static var a2aDisabled: SimResponse {
        .json(503, safeguardError(a2aDisabledCode,
              "The A2A service is not running. Enable it with POST /service/appliance/v4/A2AService/Enable."))
    }

    func a2aRoute(_ req: SimRequest) -> SimResponse? {
        guard let route = req.serviceRoute("a2a") else { return nil }
        guard req.clientCN != nil else { return .certDenied }
        guard a2aEnabled else { return SimApp.a2aDisabled }
        switch (req.method, route) {
        case ("GET", ["credentials"]): return getCredential(req)
        case ("PUT", ["credentials", "password"]):
            return setCredential(req, kind: .password, bodyShape: "a JSON string",
                                 value: { $0 as? String }, keep: { passwords[$0.name] = $1 })
        case ("PUT", ["credentials", "sshkey"]):
            return setCredential(req, kind: .privateKey, bodyShape: "{\"Passphrase\",\"PrivateKey\"}",
                                 value: { ($0 as? [String: Any])?["PrivateKey"] as? String }, keep: { privateKeyOverrides[$0.name] = $1 })
        case ("POST", ["accessrequests"]): return brokerAccessRequest(req)
        case (_, let r) where r.first == "credentials" || r.first == "accessrequests": return .methodNotAllowed
        default: return .notFound
        }
    }

    /// The seeded secret whose API key the request carries, if it is of `kind`.
    private func secret(for req: SimRequest, kind: SecretKind? = nil) -> SeededSecret? {
        guard let key = req.a2aKey,
              let name = catalogue.apiKeys.first(where: { $0.value == key && $0.key != "broker" })?.key,
              let s = Catalogue.secret(named: name) else { return nil }
        if let kind, s.kind != kind { return nil }
        return s
    }

    private func getCredential(_ req: SimRequest) -> SimResponse {
        let type = (req.param("type") ?? "").lowercased()
        switch type {
        case "password":
            guard let s = secret(for: req, kind: .password), let value = passwords[s.name] else { return .a2aKeyRefused }
            return .json(200, .string(value))
        case "privatekey":
            guard let s = secret(for: req, kind: .privateKey) else { return .a2aKeyRefused }
            let format = (req.param("keyFormat") ?? "OpenSsh").lowercased()
            let file: String
            switch format {
            case "openssh":
                if let override = privateKeyOverrides[s.name] { return .json(200, .string(override)) }
                file = pki.key(s.name)
            case "ssh2": file = pki.key("\(s.name).ssh2")
            case "putty": file = pki.key("\(s.name).ppk")
            default:
                return .json(400, safeguardError(70009, "Invalid keyFormat '\(format)'. Use OpenSsh, Ssh2 or Putty."))
            }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                return .json(400, safeguardError(60650, "The private key cannot be converted to the \(format) format."))
            }
            return .json(200, .string(text))
        case "apikey":
            guard secret(for: req, kind: .apiKey) != nil else { return .a2aKeyRefused }
            let items: [JSON] = catalogue.apiKeyEntries.enumerated().map { i, e in
                .object([("Id", .int(i + 1)), ("Name", .string(e["Name"] ?? "")), ("Description", .string(e["Description"] ?? "")),
                         ("ClientId", .string(e["ClientId"] ?? "")), ("ClientSecret", .string(e["ClientSecret"] ?? "")),
                         ("ClientSecretId", .string(e["ClientSecretId"] ?? ""))])
            }
            return .json(200, .array(items))
        default:
            return .json(400, safeguardError(70009, "The type parameter must be Password, PrivateKey or ApiKey."))
        }
    }

    /// PUT Credentials/Password and Credentials/SshKey: Safeguard's checks in its order (media
    /// type, an API key of that kind, a bidirectional registration, the body's shape), then the
    /// new value is kept and the hub tells the listeners.
    private func setCredential(_ req: SimRequest, kind: SecretKind, bodyShape: String,
                               value: (Any?) -> String?, keep: (SeededSecret, String) -> Void) -> SimResponse {
        guard req.isJSON else {
            return .json(415, safeguardError(70010, "Unsupported media type; send application/json."))
        }
        guard let s = secret(for: req, kind: kind) else { return .a2aKeyRefused }
        guard s.bidirectional else {
            return .json(403, safeguardError(60108, "Authorization is required for this request. The registration is not bidirectional."))
        }
        guard let new = value(JSON.parse(req.body)) else {
            return .json(400, safeguardError(70009, "The body must be \(bodyShape)."))
        }
        keep(s, new)
        hubNotify(secret: s)
        return .empty(204)
    }

    private func brokerAccessRequest(_ req: SimRequest) -> SimResponse {
        guard let key = req.a2aKey, key == catalogue.apiKeys["broker"] else { return .a2aKeyRefused }
        guard let obj = JSON.parse(req.body) as? [String: Any] else {
            return .json(400, safeguardError(70009, "The body must be an access-request object."))
        }
        func str(_ names: String...) -> String? {
            for n in names { if let v = obj[n] { return "\(v)" } }
            return nil
        }
        guard str("ForUser", "ForUserName", "ForUserId") != nil, str("AssetName", "AssetId", "SystemName") != nil else {
            return .json(400, safeguardError(70009, "ForUser/ForUserId and AssetName/AssetId are required."))
        }
        accessRequests += 1
        let account = str("AccountName") ?? "demo-db"
        return .json(201, .object([
            ("Id", .string("\(accessRequests)-sim")),
            ("State", .string("RequestAvailable")),
            ("AccessRequestType", .string(str("AccessRequestType", "AccessType") ?? "Password")),
            ("AccountId", .int(Catalogue.secret(named: account)?.accountId ?? 0)),
            ("AccountName", .string(account)),
            ("AssetId", .int(1)),
            ("AssetName", .string(str("AssetName", "SystemName") ?? "sim-asset")),
            ("RequesterName", .string(str("ForUser", "ForUserName") ?? "")),
            ("RequestedDurationHours", .int(Int(str("RequestedDurationHours") ?? "") ?? 2)),
        ]))
    }

    // ---- Core: A2ARegistrations (client certificate only) -------------------------------------

    func registrationsRoute(_ req: SimRequest, _ route: [String]) -> SimResponse? {
        guard route.first == "a2aregistrations" else { return nil }
        guard req.clientCN != nil else { return .certDenied }
        guard req.method == "GET" else { return .methodNotAllowed }
        if route.count == 1 {
            return .json(200, .array([registrationJSON(Catalogue.registration), registrationJSON(Catalogue.bidirectionalRegistration)]))
        }
        guard let id = Int(route[1]), [Catalogue.registration, Catalogue.bidirectionalRegistration].contains(id) else {
            return .notFound
        }
        if route.count == 2 { return .json(200, registrationJSON(id)) }
        guard route.count == 3, route[2] == "retrievableaccounts" else { return .notFound }
        var accounts = Catalogue.secrets.filter { $0.registrationId == id }
        if let filter = req.param("filter"), !filter.isEmpty {
            guard let match = parseFilter(filter) else {
                return .json(400, safeguardError(70009, "The filter expression could not be parsed."))
            }
            accounts = accounts.filter { match(accountFields($0)) }
        }
        return .json(200, .array(accounts.map { s in
            .object(accountFields(s).map { k, v in (k, Int(v).map { JSON.int($0) } ?? .string(v)) }
                    + [("ApiKey", .string(catalogue.apiKeys[s.name] ?? ""))])
        }))
    }

    private func registrationJSON(_ id: Int) -> JSON {
        .object([("Id", .int(id)), ("AppName", .string(id == Catalogue.registration ? "sg-sim" : "sg-sim-bidirectional")),
                 ("Description", .string("sg-sim seeded registration")), ("Disabled", .bool(false)),
                 ("CertificateUserId", .int(10)), ("CertificateUser", .string("sg-client")),
                 ("CertificateUserThumbprint", .string("SIM")), ("VisibleToCertificateUsers", .bool(true)),
                 ("BidirectionalEnabled", .bool(id == Catalogue.bidirectionalRegistration))])
    }

    private func accountFields(_ s: SeededSecret) -> [(String, String)] {
        let type: String = switch s.kind {
        case .password: "Password"
        case .privateKey: "PrivateKey"
        case .apiKey: "ApiKey"
        }
        return [("AccountId", String(s.accountId)), ("AccountName", s.name), ("AccountType", type),
                ("AccountDescription", "sg-sim seeded \(type)"), ("AccountDisabled", "0"), ("AssetId", "1"),
                ("AssetName", "sim-asset"), ("NetworkAddress", "127.0.0.1"), ("AssetDescription", "sg-sim asset"),
                ("DomainName", ""), ("Type", type)]
    }

    /// `Field op 'value'` clauses joined by `and`; ops eq, ieq, ne, contains, icontains.
    private func parseFilter(_ filter: String) -> (([(String, String)]) -> Bool)? {
        var clauses: [(String, String, String)] = []
        for part in filter.components(separatedBy: " and ") {
            let t = part.trimmingCharacters(in: .whitespaces)
            let words = t.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count == 3 else { return nil }
            let op = words[1].lowercased()
            var value = words[2]
            guard ["eq", "ieq", "ne", "contains", "icontains"].contains(op) else { return nil }
            if value.hasPrefix("'") || value.hasPrefix("\"") {
                guard value.count >= 2, value.last == value.first else { return nil }
                value = String(value.dropFirst().dropLast())
            } else if Int(value) == nil, value != "true", value != "false" {
                return nil
            }
            guard words[0].allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
            clauses.append((words[0].lowercased(), op, value))
        }
        return { fields in
            clauses.allSatisfy { name, op, value in
                guard let actual = fields.first(where: { $0.0.lowercased() == name })?.1 else { return false }
                switch op {
                case "eq": return actual == value
                case "ieq": return actual.lowercased() == value.lowercased()
                case "ne": return actual != value
                case "contains": return actual.contains(value)
                default: return actual.lowercased().contains(value.lowercased())
                }
            }
        }
    }
}
