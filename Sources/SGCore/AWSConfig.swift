/// The `aws:` section of the config (docs/config.md): the profiles `sg-aws-credential` answers
/// AWS `credential_process` for.
///
///     aws:
///       profiles:
///         prod: {secret: aws-prod}                 # an api-key-secret: ClientId + ClientSecret
///         legacy:
///           access-key-id: AKIAIOSFODNN7EXAMPLE    # or a reference, sg:NAME[#FIELD]
///           secret-access-key: sg:legacy-aws
///           session-token: sg:legacy-aws-session   # optional
///           expires-in: 3600                       # seconds; 0 prints no Expiration
public struct AWSConfig: Sendable {
    public var profiles: [String: AWSProfile] = [:]
    public init() {}
}

/// One `aws.profiles` entry: where its access key pair (and session token) come from.
public struct AWSProfile: Sendable {
    /// The access key id: a reference, or the id itself (an id is not a secret: AWS logs it).
    public enum KeyID: Sendable, Equatable {
        case literal(String)
        case reference(SecretReference)
    }

    public var name: String
    public var accessKeyID: KeyID
    public var secretAccessKey: SecretReference
    public var sessionToken: SecretReference?
    /// Seconds from now to the `Expiration` printed; nil prints none (the SDK then never re-reads).
    public var expiresIn: Int?
    /// Where the profile was written (`file:line`), for messages.
    public var origin: String = ""

    /// The default lifetime: one hour, well beyond botocore's 15-minute advisory refresh window,
    /// so a rotated key reaches a long-running SDK within the hour.
    public static let defaultExpiresIn = 3600
    /// botocore re-runs the process on first use after fewer than 15 minutes are left (its
    /// advisory refresh window) and on every use after fewer than 10 (mandatory): a lifetime under
    /// 30 minutes would spend half of it or more re-running sg. At most 12 hours, as STS allows.
    public static let expiresInRange = 1800...43200

    /// The two fields of an api-key-secret that hold an AWS access key in Safeguard.
    public static let keyIDField = "ClientId"
    public static let secretKeyField = "ClientSecret"

    public init(name: String, accessKeyID: KeyID, secretAccessKey: SecretReference) {
        self.name = name
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        expiresIn = Self.defaultExpiresIn
    }

    /// `AKIA…`/`ASIA…` style ids: upper-case letters and digits, 16 to 128 of them (IAM's limits).
    public static func isAccessKeyID(_ text: String) -> Bool {
        (16...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}

extension ConfigParser {
    /// `aws: {profiles: {NAME: {...}}}`. Every secret is a reference; only the key id may be written.
    func parseAWS(_ node: YNode) throws -> AWSConfig {
        var aws = AWSConfig()
        for (name, p) in try node.namedEntries(of: "aws", under: "profiles", valid: SecretReference.isValidName,
                                               rule: "use letters, digits, '.', '_', '-'") {
            aws.profiles[name] = try parseAWSProfile(name, p)
        }
        return aws
    }

    private func parseAWSProfile(_ name: String, _ node: YNode) throws -> AWSProfile {
        let what = "aws profile \(name)"
        let m = try node.mapping(what, allowed: ["secret", "access-key-id", "secret-access-key", "session-token", "expires-in"])
        let get = { (k: String) in m.first(where: { $0.key == k })?.value }
        var profile: AWSProfile
        if let secret = get("secret") {
            guard get("access-key-id") == nil, get("secret-access-key") == nil else {
                throw node.error("\(what): give either secret or access-key-id + secret-access-key, not both")
            }
            let secretName = try secret.string("\(what): secret")
            guard SecretReference.isValidName(secretName) else {
                throw secret.error("\(what): secret names an api-key-secret under 'secrets:' (a name, not a reference)")
            }
            profile = AWSProfile(name: name,
                                 accessKeyID: .reference(.named(secretName, field: AWSProfile.keyIDField)),
                                 secretAccessKey: .named(secretName, field: AWSProfile.secretKeyField))
        } else {
            guard let id = get("access-key-id"), let key = get("secret-access-key") else {
                throw node.error("\(what) needs 'secret: NAME' (an api-key-secret) or access-key-id and secret-access-key")
            }
            let idText = try id.string("\(what): access-key-id")
            let keyID: AWSProfile.KeyID
            if SecretReference.looksLikeReference(idText) {
                keyID = .reference(try id.reference("\(what): access-key-id"))
            } else {
                guard AWSProfile.isAccessKeyID(idText) else {
                    throw id.error("\(what): access-key-id is a reference or an id like AKIAIOSFODNN7EXAMPLE (A-Z, 0-9)")
                }
                keyID = .literal(idText)
            }
            profile = AWSProfile(name: name, accessKeyID: keyID, secretAccessKey: try key.reference("\(what): secret-access-key"))
        }
        if let token = get("session-token") { profile.sessionToken = try token.reference("\(what): session-token") }
        if let e = get("expires-in") {
            let text = try e.string("\(what): expires-in")
            let range = AWSProfile.expiresInRange
            guard let seconds = Int(text), seconds == 0 || range.contains(seconds) else {
                throw e.error("\(what): expires-in is 0 (no Expiration) or seconds from \(range.lowerBound) to \(range.upperBound): botocore re-runs the process from 15 minutes before expiry")
            }
            profile.expiresIn = seconds == 0 ? nil : seconds
        }
        profile.origin = "\(file):\(node.line)"
        return profile
    }
}
