import SGCore
import SGResolver

/// The answer of an AWS `credential_process`: `{"Version":1,"AccessKeyId":…,"SecretAccessKey":…,
/// "SessionToken":…,"Expiration":…}`, the last two optional, `Expiration` in RFC 3339.
///
///     let creds = try AWSProcessCredentials.resolve(profile, with: resolver)
///     SecretOutput.write(try creds.json(), newline: true)
public struct AWSProcessCredentials: Sendable {
    public let accessKeyID: SecretBytes
    public let secretAccessKey: SecretBytes
    public let sessionToken: SecretBytes?
    public let expiration: Instant?
    /// The profile the values came from, for messages.
    public let profile: String

    public init(profile: String, accessKeyID: SecretBytes, secretAccessKey: SecretBytes,
                sessionToken: SecretBytes? = nil, expiration: Instant? = nil) {
        self.profile = profile
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Fetches the profile's secrets in one parallel round (the two fields of one api-key-secret
    /// are one A2A call). `Expiration` is `now + expires-in`, or a token's own expiry when that
    /// comes first.
    public static func resolve(_ profile: AWSProfile, with resolver: Resolver, now: Instant = .now) throws -> AWSProcessCredentials {
        var references = [profile.secretAccessKey]
        if case .reference(let r) = profile.accessKeyID { references.append(r) }
        if let token = profile.sessionToken { references.append(token) }
        let fetched = try resolver.resolveAll(references).map { try $0.get() }
        let accessKeyID: SecretBytes
        switch profile.accessKeyID {
        case .literal(let id): accessKeyID = SecretBytes(string: id)
        case .reference: accessKeyID = fetched[1].value
        }
        var expiries = fetched.compactMap(\.expiresAt).map(Instant.init(timeIntervalSince1970:))
        if let seconds = profile.expiresIn { expiries.append(now.addingTimeInterval(Double(seconds))) }
        return AWSProcessCredentials(profile: profile.name, accessKeyID: accessKeyID, secretAccessKey: fetched[0].value,
                                     sessionToken: profile.sessionToken == nil ? nil : fetched.last?.value,
                                     expiration: expiries.min())
    }

    /// The JSON document, written by `JSONValue` straight from the secret bytes. An empty or
    /// non-UTF-8 value is refused (exit 76): the SDK would fail on it later with a message that
    /// names nothing of sg.
    public func json() throws -> SecretBytes {
        var members: [(String, SecretBytes)] = [("AccessKeyId", accessKeyID), ("SecretAccessKey", secretAccessKey)]
        if let sessionToken { members.append(("SessionToken", sessionToken)) }
        for (key, value) in members {
            guard !value.isEmpty else {
                throw SGError.unexpectedResponse("aws profile \(profile): the \(key) fetched is empty (is it set in Safeguard?)")
            }
            guard value.isValidUTF8 else {
                throw SGError.unexpectedResponse("aws profile \(profile): the \(key) fetched is not UTF-8 text")
            }
        }
        var document: [(String, JSONValue)] = [("Version", .number("1"))] + members.map { ($0.0, .string($0.1)) }
        if let expiration { document.append(("Expiration", .text(expiration.rfc3339))) }
        return JSONValue.object(document).serialized()
    }
}
