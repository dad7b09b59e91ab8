import SGCore
import SGTransport

/// Application-to-Application access to one Safeguard appliance (or cluster): every call
/// presents the profile's client certificate and `Authorization: A2A <api key>`.
///
///     let a2a = try A2AClient(profile: profile)
///     let password = try a2a.retrievePassword(apiKey: key)
public final class A2AClient: Sendable {
    public let profile: SafeguardProfile
    public let http: HTTPClient

    public init(profile: SafeguardProfile, http: HTTPClient? = nil) throws {
        guard profile.client != nil else {
            throw SGError.config("profile \(profile.name) has no client certificate: A2A needs 'client:' (cert+key or pkcs12)")
        }
        self.profile = profile
        self.http = try http ?? HTTPClient(profile: profile)
    }

    var base: String { "/service/a2a/v\(profile.apiVersion)" }

    /// What to retrieve with one API key.
    public enum Item: Sendable {
        case password
        case privateKey(KeyFormat)
        case apiKeySecrets
    }

    public func request(for item: Item, apiKey: SecretBytes) -> HTTPRequest {
        let query: String
        switch item {
        case .password: query = "type=Password"
        case .privateKey(let f): query = "type=PrivateKey&keyFormat=\(f.wireName)"
        case .apiKeySecrets: query = "type=ApiKey"
        }
        var r = HTTPRequest(.get, "\(base)/Credentials?\(query)")
        r.authorization = ("A2A ", apiKey)
        return r
    }

    /// Turns the appliance's answer for `item` into the secret (a JSON string literal for
    /// passwords and keys; the raw JSON array for API-key secrets).
    public func decode(_ response: HTTPResponse, item: Item, what: String) throws -> SecretBytes {
        guard response.isSuccess else { throw SafeguardAPIError(response).a2aError(what: what) }
        switch item {
        case .password, .privateKey:
            // An empty answer (no body, or "") is never a usable password or key: passed on, git
            // would cache `password=` and ssh would be sent an empty line. Refused here, so every
            // tool gets the same error.
            let empty = SGError.unexpectedResponse("\(what): the appliance answered an empty value (is it set in Safeguard?)")
            if response.body.isEmpty { throw empty }
            let value: SecretBytes
            do { value = try JSONString.decodeLiteral(response.body) }
            catch { throw SGError.unexpectedResponse("\(what): the appliance did not answer a JSON string") }
            if value.isEmpty { throw empty }
            return value
        case .apiKeySecrets:
            guard case .array = try JSONValue.parse(response.body) else {
                throw SGError.unexpectedResponse("\(what): expected a JSON array of API-key secrets")
            }
            return response.body
        }
    }

    public func retrieve(_ item: Item, apiKey: SecretBytes, what: String, deadline: Deadline? = nil) throws -> SecretBytes {
        try decode(try http.send(request(for: item, apiKey: apiKey), deadline: deadline), item: item, what: what)
    }

    public func retrievePassword(apiKey: SecretBytes, what: String = "password") throws -> SecretBytes {
        try retrieve(.password, apiKey: apiKey, what: what)
    }

    public func retrievePrivateKey(apiKey: SecretBytes, format: KeyFormat = .openssh, what: String = "private key") throws -> SecretBytes {
        try retrieve(.privateKey(format), apiKey: apiKey, what: what)
    }

    public func retrieveAPIKeySecrets(apiKey: SecretBytes, what: String = "API-key secrets") throws -> [APIKeySecret] {
        let json = try JSONValue.parse(try retrieve(.apiKeySecrets, apiKey: apiKey, what: what))
        return (json.arrayValue ?? []).map(APIKeySecret.init)
    }

    /// Retrieves many items at once, in parallel over the connection pool.
    public func retrieveAll(_ items: [(item: Item, apiKey: SecretBytes, what: String)], deadline: Deadline? = nil) -> [Result<SecretBytes, SGError>] {
        let responses = http.sendAll(items.map { request(for: $0.item, apiKey: $0.apiKey) }, deadline: deadline)
        return zip(items, responses).map { entry, result in
            result.flatMap { response in
                do { return .success(try decode(response, item: entry.item, what: entry.what)) }
                catch let e as SGError { return .failure(e) }
                catch { return .failure(.internalError("\(error)")) }
            }
        }
    }

    /// Sets the account's password (the registration must be bidirectional).
    public func setPassword(apiKey: SecretBytes, password: SecretBytes, what: String = "set password") throws {
        var r = HTTPRequest(.put, "\(base)/Credentials/Password")
        r.authorization = ("A2A ", apiKey)
        r.setJSONBody(JSONString.encodeLiteral(password))
        let response = try http.send(r)
        guard response.isSuccess else { throw SafeguardAPIError(response).a2aError(what: what) }
    }

    /// Sets the account's SSH private key (bidirectional registrations).
    public func setPrivateKey(apiKey: SecretBytes, privateKey: SecretBytes, passphrase: SecretBytes?, format: KeyFormat = .openssh, what: String = "set private key") throws {
        var r = HTTPRequest(.put, "\(base)/Credentials/SshKey?keyFormat=\(format.wireName)")
        r.authorization = ("A2A ", apiKey)
        let body = JSONValue.object([("Passphrase", .string(passphrase ?? SecretBytes(bytes: []))), ("PrivateKey", .string(privateKey))])
        r.setJSONBody(body.serialized())
        let response = try http.send(r)
        guard response.isSuccess else { throw SafeguardAPIError(response).a2aError(what: what) }
    }

    /// Asks the appliance to create an access request on a user's behalf (the broker key).
    public func brokerAccessRequest(apiKey: SecretBytes, _ request: BrokeredAccessRequest) throws -> AccessRequestResult {
        var r = HTTPRequest(.post, "\(base)/AccessRequests")
        r.authorization = ("A2A ", apiKey)
        r.setJSONBody(request.json().serialized())
        let response = try http.send(r)
        guard response.isSuccess else { throw SafeguardAPIError(response).a2aError(what: "access request") }
        return AccessRequestResult(try JSONValue.parse(response.body))
    }

    /// The accounts this certificate may retrieve, across its registrations (certificate only).
    public func retrievableAccounts(filter: String? = nil) throws -> [RetrievableAccount] {
        let core = "/service/core/v\(profile.apiVersion)"
        let regsResponse = try http.send(HTTPRequest(.get, "\(core)/A2ARegistrations"))
        guard regsResponse.isSuccess else { throw SafeguardAPIError(regsResponse).a2aError(what: "A2A registrations") }
        var out: [RetrievableAccount] = []
        for reg in try JSONValue.parse(regsResponse.body).arrayValue ?? [] {
            guard let id = reg["Id"]?.intValue else { continue }
            var path = "\(core)/A2ARegistrations/\(id)/RetrievableAccounts"
            if let filter { path += "?filter=" + URLEncoding.percentEncode(filter) }
            let r = try http.send(HTTPRequest(.get, path))
            guard r.isSuccess else { throw SafeguardAPIError(r).a2aError(what: "retrievable accounts of registration \(id)") }
            for item in try JSONValue.parse(r.body).arrayValue ?? [] {
                out.append(RetrievableAccount(item, registration: reg))
            }
        }
        return out
    }
}

/// One entry of an API-key secret (`type=ApiKey`).
public struct APIKeySecret: Sendable {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }
    public var id: Int? { json["Id"]?.intValue }
    public var name: String? { json["Name"]?.text }
    public var clientId: String? { json["ClientId"]?.text }
    /// A field's value as a secret (`ClientSecret`, `ClientId`, ...).
    public func field(_ name: String) -> SecretBytes? {
        guard let v = json[name], !v.isNull else { return nil }
        if case .string(let s) = v { return s }
        return v.text.map { SecretBytes(string: $0) }
    }
}

/// What `BrokerAccessRequest` sends (field names as safeguard-ps/bash/java/go write them).
public struct BrokeredAccessRequest: Sendable {
    public var accessRequestType = "Password"
    public var forUser: String?
    public var forUserId: Int?
    public var forProvider: String?
    public var assetId: Int?
    public var assetName: String?
    public var accountId: Int?
    public var accountName: String?
    public var isEmergency = false
    public var reasonComment: String?
    public var ticketNumber: String?
    public var requestedDurationHours: Int?
    public init() {}

    func json() -> JSONValue {
        var m: [(String, JSONValue)] = [("AccessRequestType", .text(accessRequestType))]
        if let forUser { m.append(("ForUser", .text(forUser))) }
        if let forUserId { m.append(("ForUserId", .number(String(forUserId)))) }
        if let forProvider { m.append(("ForProvider", .text(forProvider))) }
        if let assetId { m.append(("AssetId", .number(String(assetId)))) }
        if let assetName { m.append(("AssetName", .text(assetName))) }
        if let accountId { m.append(("AccountId", .number(String(accountId)))) }
        if let accountName { m.append(("AccountName", .text(accountName))) }
        m.append(("IsEmergency", .bool(isEmergency)))
        if let reasonComment { m.append(("ReasonComment", .text(reasonComment))) }
        if let ticketNumber { m.append(("TicketNumber", .text(ticketNumber))) }
        if let requestedDurationHours { m.append(("RequestedDurationHours", .number(String(requestedDurationHours)))) }
        return .object(m)
    }
}

public struct AccessRequestResult: Sendable {
    public let id: String?
    public let state: String?
    public init(_ json: JSONValue) {
        id = json["Id"]?.text
        state = json["State"]?.text
    }
}

public struct RetrievableAccount: Sendable {
    public let registrationId: Int?
    public let applicationName: String?
    public let accountId: Int?
    public let accountName: String?
    public let assetName: String?
    public let accountType: String?
    public let disabled: Bool

    init(_ json: JSONValue, registration: JSONValue) {
        registrationId = registration["Id"]?.intValue
        applicationName = registration["AppName"]?.text
        accountId = json["AccountId"]?.intValue
        accountName = json["AccountName"]?.text
        assetName = (json["AssetName"] ?? json["SystemName"])?.text
        accountType = json["AccountType"]?.text
        let accountDisabled = (json["AccountDisabled"]?.intValue ?? 0) != 0 || json["AccountDisabled"]?.text == "true"
        let regDisabled = registration["Disabled"]?.text == "true"
        disabled = accountDisabled || regDisabled
    }
}
