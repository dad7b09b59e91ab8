import Foundation

/// Writes `config.yaml` (an sg config, docs/config.md schema), `apikeys/*` and, last, `ready.json`.
struct StateFiles {
    let app: SimApp
    let port: Int
    let identityPort: Int
    let adminPort: Int

    private var dir: URL { app.dir }
    private var pki: PKI { app.pki }
    private func path(_ rel: String) -> String { dir.appendingPathComponent(rel).path }

    private func q(_ s: String) -> String {
        var out = ""
        JSON.quote(s, into: &out)   // a JSON string is a valid YAML double-quoted scalar
        return out
    }

    func writeAll() throws {
        let fm = FileManager.default
        for sub in ["apikeys", "secrets"] {
            try fm.createDirectory(atPath: path(sub), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(path(sub), 0o700)
        }
        for (name, key) in app.catalogue.apiKeys {
            try writePrivate(path("apikeys/\(name)"), key + "\n")
        }
        try writePrivate(path("secrets/ark-svc.secret"), app.catalogue.serviceSecret + "\n")
        try writePrivate(path("config.yaml"), configYAML())
        try writePrivate(path("ready.json"), readyJSON().text + "\n")
    }

    func configYAML() -> String {
        var y = """
        # Written by sg-sim for the state folder \(dir.path).
        # Profile "sim" is the simulated Safeguard appliance; "sim-ark" is its CyberArk Identity tenant.
        version: 1
        default-profile: sim
        profiles:
          sim:
            kind: safeguard
            appliances: [\(q("127.0.0.1:\(port)"))]
            ca: \(q(pki.pki("ca.pem")))
            api-version: 4
            client:
              cert: \(q(pki.pki("client.pem")))
              key: \(q(pki.pki("client.key")))
            provider: local
            username: alice
          sim-ark:
            kind: cyberark-identity
            tenant: \(q("https://127.0.0.1:\(identityPort)"))
            username: ark-alice@sim.example
            ca: \(q(pki.pki("ca.pem")))
            service-user:
              name: \(Catalogue.serviceUser)
              app: \(Catalogue.serviceApp)
              secret: {file: secrets/ark-svc.secret}
        secrets:

        """
        for s in Catalogue.secrets {
            y += "  \(s.name):\n    profile: sim\n    kind: \(s.kind.rawValue)\n    api-key: {file: apikeys/\(s.name)}\n"
            if let u = s.username, s.kind == .password { y += "    username: \(u)\n" }
            if s.kind == .privateKey { y += "    format: openssh\n" }
            if PKI.passphraseKeyNames.contains(s.name) { y += "    passphrase: ssh-rsa-pass-phrase\n" }
            if s.kind == .apiKey { y += "    field: ClientSecret\n" }
        }
        y += """
        git:
          rules:
            - url: https://git.sim.example/team
              secret: git-team
              username: svc-git
            - url: https://git.sim.example/other
              secret: git-other
              username: svc-other
        ssh: {}

        """
        return y
    }

    func readyJSON() -> JSON {
        let keys = app.catalogue.apiKeys.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }
        let passwords = Catalogue.fixedPasswords.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }
        let rsts = Catalogue.rstsUsers.map { u in
            (u.name, JSON.object([("password", .string(u.password)), ("passwordGrant", .bool(u.passwordGrantAllowed)),
                                  ("mfa", .bool(u.mfa))]))
        }
        let ident = IdentityCatalogue.users.map { u in
            (u.name, JSON.object([("password", .string(u.password)), ("oob", .bool(!u.second.isEmpty)), ("redirect", .bool(u.redirect)),
                                  ("mechanisms", .array(u.second.map { .string($0.name) })), ("newPackage", .bool(u.newPackage)),
                                  ("idp", u.idp.map { .string($0.rawValue) } ?? .null)]))
        }
        return .object([
            ("pid", .int(Int(getpid()))), ("port", .int(port)), ("identityPort", .int(identityPort)),
            ("adminPort", .int(adminPort)), ("host", .string("127.0.0.1")),
            ("stateDir", .string(dir.path)), ("config", .string(path("config.yaml"))),
            ("ca", .string(pki.pki("ca.pem"))), ("caKey", .string(pki.pki("ca.key"))),
            ("serverCert", .string(pki.pki("server.pem"))), ("serverKey", .string(pki.pki("server.key"))),
            ("clientCert", .string(pki.pki("client.pem"))), ("clientKey", .string(pki.pki("client.key"))),
            ("clientKeyEncrypted", .string(pki.pki("client-enc.key"))),
            ("clientKeyPassphrase", .string(pki.passphrase)),
            ("clientPassphraseFile", .string(pki.pki("client.pass"))),
            ("clientP12", .string(pki.pki("client.p12"))), ("clientP12Legacy", .string(pki.pki("client-legacy.p12"))),
            ("clientP12Passphrase", .string(pki.passphrase)),
            ("rogueCert", .string(pki.pki("rogue.pem"))), ("rogueKey", .string(pki.pki("rogue.key"))),
            ("otherCA", .string(pki.pki("other-ca.pem"))),
            ("apiKeys", .object(keys)),
            ("passwords", .object(passwords)),
            ("sshKeyPassphrase", .string(PKI.rsaKeyPassphrase)),
            ("users", .object([
                ("rsts", .object(rsts)),
                ("otp", .string(Catalogue.otpCode)),
                ("identity", .object(ident)),
                ("identityService", .object([("name", .string(Catalogue.serviceUser)), ("app", .string(Catalogue.serviceApp)),
                                             ("secret", .string(app.catalogue.serviceSecret))])),
                ("oobPolls", .int(IdentityCatalogue.oobPollsNeeded)),
                ("securityAnswer", .string(IdentityCatalogue.securityAnswer)),
            ])),
        ])
    }
}
