import Foundation

/// One MFA mechanism a simulated CyberArk Identity user is offered after the password
/// (ark-keyring.md §4.5 `Mechanism`: `AnswerType`, `Name`, `PromptMechChosen`, `MechanismId`).
struct SimMechanism {
    /// How a typed `Answer` is checked.
    enum Code {
        /// The code the tenant sent by email or SMS at `StartOOB` (see `GET /admin/identity/outbox`).
        case sent
        /// RFC 6238 TOTP from `IdentityCatalogue.totpKey` (an authenticator app).
        case totp
        /// A fixed answer (a security question).
        case fixed(String)
    }

    let name: String
    /// `StartOob` (approve elsewhere), `StartTextOob` (approve or type the code), `Text` (type it).
    let answerType: String
    let prompt: String
    /// `Poll` answers `LoginSuccess` from this many polls on; nil: only after `POST /admin/identity/approve`.
    let approvedAfterPolls: Int?
    /// `StartOOB` answers a `GeneratedAuthValue` the user matches on the device (push to match).
    let generatesValue: Bool
    /// A typed answer this mechanism accepts, nil when it takes none.
    let code: Code?

    var id: String { "mech-" + name.lowercased() }
    var isOutOfBand: Bool { answerType.lowercased().hasPrefix("start") }

    static func push(_ name: String, _ prompt: String, polls: Int? = IdentityCatalogue.oobPollsNeeded,
                     answerType: String = "StartOob", value: Bool = false, code: Code? = nil) -> SimMechanism {
        SimMechanism(name: name, answerType: answerType, prompt: prompt, approvedAfterPolls: polls, generatesValue: value, code: code)
    }

    static func typed(_ name: String, _ prompt: String, _ code: Code) -> SimMechanism {
        SimMechanism(name: name, answerType: "Text", prompt: prompt, approvedAfterPolls: nil, generatesValue: false, code: code)
    }
}

/// A CyberArk Identity user of the sim and the login it goes through.
struct IdentityUser {
    /// External identity provider (SAML) users: the browser login, optionally followed by a PIN.
    enum IdP: String { case browser, pin }

    let name: String
    let password: String
    /// The second challenge's mechanisms; empty for a password-only user.
    var second: [SimMechanism] = []
    /// The second challenge is not listed by StartAuthentication: the password's answer brings it
    /// as a `NewPackage` (a challenge list that replaces the rest).
    var newPackage = false
    /// StartAuthentication at `127.0.0.1` answers `PodFqdn: localhost:<port>`.
    var redirect = false
    var idp: IdP?

    func mechanism(id: String) -> SimMechanism? { second.first { $0.id == id } }
}

/// The seeded Identity users (docs/sim.md lists them with what each one exercises).
enum IdentityCatalogue {
    static let oobPollsNeeded = 2
    /// RFC 6238's own test key (ASCII "12345678901234567890"), so its published vectors check the sim.
    static let totpKey = Array("12345678901234567890".utf8)
    static let securityAnswer = "blue-Ridge-42"

    static let users: [IdentityUser] = [
        IdentityUser(name: "ark-alice@sim.example", password: "ark-alice-Passw0rd!"),
        IdentityUser(name: "ark-oob@sim.example", password: "ark-oob-Passw0rd!", second: [
            .push("EMAIL", "Email... @sim.example"), .push("SMS", "SMS... XXX-1234"),
        ]),
        IdentityUser(name: "ark-redirect@sim.example", password: "ark-redirect-Passw0rd!", redirect: true),
        IdentityUser(name: "ark-push@sim.example", password: "ark-push-Passw0rd!", second: [
            .push("OTP", "Mobile Authenticator", value: true, code: .totp),
        ]),
        IdentityUser(name: "ark-code@sim.example", password: "ark-code-Passw0rd!", second: [
            .push("EMAIL", "Email... @sim.example", polls: nil, answerType: "StartTextOob", code: .sent),
            .push("SMS", "SMS... XXX-1234", polls: nil, answerType: "StartTextOob", code: .sent),
        ]),
        IdentityUser(name: "ark-pf@sim.example", password: "ark-pf-Passw0rd!", second: [.push("PF", "Phone call... XXX-1234")]),
        IdentityUser(name: "ark-oath@sim.example", password: "ark-oath-Passw0rd!", second: [
            .typed("OATH", "OATH OTP code", .totp),
        ]),
        IdentityUser(name: "ark-question@sim.example", password: "ark-question-Passw0rd!", second: [
            .typed("SQ", "What is the name of your first ridge?", .fixed(securityAnswer)),
        ]),
        IdentityUser(name: "ark-newpackage@sim.example", password: "ark-newpackage-Passw0rd!", second: [
            .push("EMAIL", "Email... @sim.example"), .typed("OATH", "OATH OTP code", .totp),
        ], newPackage: true),
        IdentityUser(name: "ark-idp@sim.example", password: "", idp: .browser),
        IdentityUser(name: "ark-idp-pin@sim.example", password: "", idp: .pin),
    ]

    static func user(_ name: String) -> IdentityUser? {
        users.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }
}
