import Foundation

/// The seeded A2A secrets and rSTS users (CyberArk Identity users: IdentityCatalogue.swift). Fixed values live here; random
/// values (API keys, the rotating password, API-key client secrets, the service user's secret) are
/// made on first start and kept in `DIR/catalogue.json` (0600) so restarts keep them.
enum SecretKind: String {
    case password, privateKey = "private-key", apiKey = "api-key-secret"
}

struct SeededSecret {
    let name: String
    let kind: SecretKind
    let accountId: Int
    let registrationId: Int
    let username: String?
    var bidirectional: Bool { registrationId == Catalogue.bidirectionalRegistration }
}

struct RSTSUser {
    let name: String
    let password: String
    let displayName: String
    let passwordGrantAllowed: Bool
    let mfa: Bool
}

struct Catalogue {
    static let registration = 1
    static let bidirectionalRegistration = 2
    static let otpCode = "123456"
    static let serviceUser = "ark-svc@sim.example"
    static let serviceApp = "__idaptive_cybr_user_oidc"
    static let tenantId = "SIM1234"

    static let fixedPasswords: [String: String] = {
        var p: [String: String] = [
            "demo-db": "demo-db-Passw0rd!",
            "unicode-pw": "pässwörd-秘密-🔑",
            "quote-pw": #"q"u'o\te$HOME `x` $(id)"#,
            "big-pw": String((0..<4096).map { i in Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")[(i * 7 + i / 62) % 62] }),
            "git-team": "git-team-Passw0rd",
            "git-other": "git-other-Passw0rd",
            "ssh-rsa-pass-phrase": PKI.rsaKeyPassphrase,
        ]
        for i in 1...50 { p[String(format: "bulk-%02d", i)] = String(format: "bulk-%02d-value", i) }
        return p
    }()

    static let secrets: [SeededSecret] = {
        var list: [SeededSecret] = []
        var id = 100
        func add(_ name: String, _ kind: SecretKind, user: String? = nil, reg: Int = registration) {
            id += 1
            list.append(SeededSecret(name: name, kind: kind, accountId: id, registrationId: reg, username: user))
        }
        add("demo-db", .password, user: "dbadmin")
        add("unicode-pw", .password)
        add("quote-pw", .password)
        add("big-pw", .password)
        add("git-team", .password, user: "svc-git")
        add("git-other", .password, user: "svc-other")
        add("rotating-pw", .password, user: "rotator", reg: bidirectionalRegistration)
        add("ssh-rsa-pass-phrase", .password)
        for name in PKI.sshKeyNames { add(name, .privateKey, user: "deploy") }
        add("api-ci", .apiKey)
        for i in 1...50 { add(String(format: "bulk-%02d", i), .password) }
        return list
    }()

    static let rstsUsers: [RSTSUser] = [
        RSTSUser(name: "alice", password: "alice-Passw0rd!", displayName: "Alice Able", passwordGrantAllowed: true, mfa: false),
        RSTSUser(name: "bob", password: "bob-Passw0rd!", displayName: "Bob Baker", passwordGrantAllowed: false, mfa: false),
        RSTSUser(name: "carol", password: "carol-Passw0rd!", displayName: "Carol Clark", passwordGrantAllowed: false, mfa: true),
    ]

    static func secret(named name: String) -> SeededSecret? { secrets.first { $0.name == name } }

    // ---- per-state-folder random values ------------------------------------------------------

    var apiKeys: [String: String]          // secret name (and "broker") -> A2A API key
    var rotatingPassword: String
    var apiKeyEntries: [[String: String]]  // api-ci entries: Name, ClientId, ClientSecret, ClientSecretId
    var serviceSecret: String

    static func loadOrCreate(in dir: URL) throws -> Catalogue {
        let path = dir.appendingPathComponent("catalogue.json")
        if let data = try? Data(contentsOf: path),
           let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let keys = obj["apiKeys"] as? [String: String],
           let rot = obj["rotatingPassword"] as? String,
           let entries = obj["apiKeyEntries"] as? [[String: String]],
           let svc = obj["serviceSecret"] as? String,
           secrets.allSatisfy({ keys[$0.name] != nil }) {
            return Catalogue(apiKeys: keys, rotatingPassword: rot, apiKeyEntries: entries, serviceSecret: svc)
        }
        var keys: [String: String] = [:]
        for s in secrets { keys[s.name] = Tokens.apiKey() }
        keys["broker"] = Tokens.apiKey()
        let entries = (1...2).map { i in
            ["Name": "ci-key-\(i)", "Description": "CI client \(i)", "ClientId": "ci-client-\(i)",
             "ClientSecret": Tokens.alnum(32), "ClientSecretId": UUID().uuidString.lowercased()]
        }
        let cat = Catalogue(apiKeys: keys, rotatingPassword: "rot-" + Tokens.alnum(20),
                            apiKeyEntries: entries, serviceSecret: Tokens.alnum(24))
        try cat.save(in: dir)
        return cat
    }

    func save(in dir: URL) throws {
        let obj: [String: Any] = ["apiKeys": apiKeys, "rotatingPassword": rotatingPassword,
                                  "apiKeyEntries": apiKeyEntries, "serviceSecret": serviceSecret]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .prettyPrinted])
        try writePrivate(dir.appendingPathComponent("catalogue.json").path, data)
    }
}
