import SGCore
import SGSafeguard
import SGTransport
#if canImport(Glibc)
import Glibc
#endif

/// A secret as a tool receives it: the value, plus what git and askpass may also want.
public struct ResolvedSecret: Sendable {
    public let value: SecretBytes
    public let username: String?
    /// Wall-clock expiry when known (tokens).
    public let expiresAt: Double?
    public let kind: SecretKind

    public init(value: SecretBytes, username: String? = nil, expiresAt: Double? = nil, kind: SecretKind) {
        self.value = value
        self.username = username
        self.expiresAt = expiresAt
        self.kind = kind
    }
}

/// Gives the cached access token of a profile (the token cache, wired by the tools).
public protocol TokenSource: Sendable {
    func token(profile: Profile) throws -> ResolvedSecret
}

/// Turns references (`sg:NAME`, `sg:NAME#FIELD`, `sg:token/PROFILE`) into secrets, the one path
/// every tool fetches through. One A2A client (one connection pool) per profile per process.
///
///     let resolver = Resolver(config: try ConfigLoader.load())
///     let secret = try resolver.resolve(try SecretReference(parsing: "sg:demo-db"))
public final class Resolver: @unchecked Sendable {
    public let config: Config
    public var tokenSource: (any TokenSource)?
    private var clients: [String: A2AClient] = [:]
    private var lock = pthread_mutex_t()

    public init(config: Config, tokenSource: (any TokenSource)? = nil) {
        self.config = config
        self.tokenSource = tokenSource
        pthread_mutex_init(&lock, nil)
    }

    /// The A2A client of a Safeguard profile, made once.
    public func a2a(for profileName: String) throws -> A2AClient {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let c = clients[profileName] { return c }
        guard case .safeguard(let p) = try config.profile(profileName) else {
            throw SGError.config("profile \(profileName) is not a Safeguard profile; A2A secrets need one")
        }
        let c = try A2AClient(profile: p)
        clients[profileName] = c
        return c
    }

    public func resolve(_ reference: SecretReference) throws -> ResolvedSecret {
        switch reference {
        case .token(let profile):
            return try token(profileName: profile)
        case .named(let name, let field):
            return try resolve(secret: try config.secret(name), field: field)
        }
    }

    /// Resolves many references in parallel over each profile's connection pool; duplicates are
    /// fetched once. Results are in the order given.
    public func resolveAll(_ references: [SecretReference]) -> [Result<ResolvedSecret, SGError>] {
        var unique: [SecretReference] = []
        var index: [SecretReference: Int] = [:]
        for r in references where index[r] == nil {
            index[r] = unique.count
            unique.append(r)
        }
        // Make the clients first, so the parallel part only reads the table.
        var width = 1
        for r in unique {
            if case .named(let name, _) = r, let spec = config.secrets[name], spec.kind != .token,
               let profile = try? config.profile(for: spec), let client = try? a2a(for: profile.name) {
                width = max(width, client.http.tls.poolSize)
            }
        }
        let work = unique
        let results = parallelMap(count: work.count, width: width) { i -> Result<ResolvedSecret, SGError> in
            do { return .success(try self.resolve(work[i])) }
            catch let e as SGError { return .failure(e) }
            catch { return .failure(.internalError("\(error)")) }
        }
        return references.map { results[index[$0]!] }
    }

    public func resolve(secret spec: SecretSpec, field: String? = nil) throws -> ResolvedSecret {
        if spec.kind == .token {
            let profile = try config.profile(for: spec)
            return try token(profileName: profile.name)
        }
        if field != nil && spec.kind != .apiKeySecret {
            throw SGError.badReference("sg:\(spec.name)#\(field!): only api-key-secret secrets have fields")
        }
        let profile = try config.profile(for: spec)
        let client = try a2a(for: profile.name)
        guard let source = spec.apiKey else { throw SGError.config("secret \(spec.name) has no api-key") }
        let apiKey = try source.resolve(what: "API key of secret '\(spec.name)'")
        let what = "\(spec.kind.rawValue) '\(spec.name)'"
        Log.logger.debug("fetching \(what) with \(Log.describe(name: "API key", secret: apiKey)) from profile \(profile.name)")
        switch spec.kind {
        case .password:
            let value = try client.retrieve(.password, apiKey: apiKey, what: what)
            return ResolvedSecret(value: value, username: spec.username, kind: .password)
        case .privateKey:
            let value = try client.retrieve(.privateKey(spec.format), apiKey: apiKey, what: what)
            return ResolvedSecret(value: value, username: spec.username, kind: .privateKey)
        case .apiKeySecret:
            let raw = try client.retrieve(.apiKeySecrets, apiKey: apiKey, what: what)
            // No field asked and none configured: the whole answer, as JSON.
            let wanted = field ?? spec.field ?? "json"
            if wanted.lowercased() == "json" { return ResolvedSecret(value: raw, username: spec.username, kind: .apiKeySecret) }
            let entries = try JSONValue.parse(raw).arrayValue ?? []
            guard let first = entries.first else { throw SGError.unexpectedResponse("\(what): the appliance returned no API-key secrets") }
            guard let value = APIKeySecret(first).field(wanted) else {
                throw SGError.badReference("\(what) has no field '\(wanted)' (fields: \(first.objectMembers?.map(\.0).joined(separator: ", ") ?? "none"))")
            }
            return ResolvedSecret(value: value, username: APIKeySecret(first).clientId ?? spec.username, kind: .apiKeySecret)
        case .token:
            fatalError("handled above")
        }
    }

    /// The passphrase of a private-key secret, when config names one.
    public func passphrase(of spec: SecretSpec) throws -> SecretBytes? {
        guard let name = spec.passphraseSecret else { return nil }
        return try resolve(secret: try config.secret(name)).value
    }

    private func token(profileName: String) throws -> ResolvedSecret {
        let profile = try config.profile(profileName)
        guard let source = tokenSource else { throw SGError.loginRequired(profile: profileName) }
        return try source.token(profile: profile)
    }
}
