import SGCore
import SGSafeguard
import SGTransport
import Synchronization
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
    private let clients = Mutex<[String: A2AClient]>([:])

    public init(config: Config, tokenSource: (any TokenSource)? = nil) {
        self.config = config
        self.tokenSource = tokenSource
    }

    /// The A2A client of a Safeguard profile, made once.
    public func a2a(for profileName: String) throws -> A2AClient {
        try clients.withLock { table in
            if let c = table[profileName] { return c }
            guard case .safeguard(let p) = try config.profile(profileName) else {
                throw SGError.config("profile \(profileName) is not a Safeguard profile; A2A secrets need one")
            }
            let c = try A2AClient(profile: p)
            table[profileName] = c
            return c
        }
    }

    public func resolve(_ reference: SecretReference) throws -> ResolvedSecret {
        switch reference {
        case .token(let profile):
            return try token(profileName: profile)
        case .named(let name, let field):
            return try resolve(secret: try config.secret(name), field: field)
        }
    }

    /// Resolves many references in parallel over each profile's connection pool. Each secret is
    /// fetched once however many references name it: `sg:ci#ClientId` and `sg:ci#ClientSecret`
    /// are two fields of one A2A answer. Results are in the order given.
    public func resolveAll(_ references: [SecretReference]) -> [Result<ResolvedSecret, SGError>] {
        // What one fetch serves: a named secret (any field of it) or a profile's token.
        enum Fetch: Hashable { case secret(String), token(String) }
        func fetchKey(_ r: SecretReference) -> Fetch {
            switch r {
            case .named(let name, _): return .secret(name)
            case .token(let profile): return .token(profile)
            }
        }
        // A field on a secret that has none fails without a fetch.
        var refused: [SecretReference: SGError] = [:]
        var unique: [Fetch] = []
        var index: [Fetch: Int] = [:]
        for r in references {
            if case .named(let name, let field?) = r, let spec = config.secrets[name] {
                do { try Self.checkField(field, of: spec) } catch let e as SGError { refused[r] = e; continue } catch {}
            }
            let key = fetchKey(r)
            if index[key] == nil { index[key] = unique.count; unique.append(key) }
        }
        // Make the clients first, so the parallel part only reads the table.
        var width = 1
        for case .secret(let name) in unique {
            if let spec = config.secrets[name], spec.kind != .token,
               let profile = try? config.profile(for: spec), let client = try? a2a(for: profile.name) {
                width = max(width, client.http.tls.poolSize)
            }
        }
        let work = unique
        let fetched = parallelMap(count: work.count, width: width) { i -> Result<ResolvedSecret, SGError> in
            do {
                switch work[i] {
                case .secret(let name): return .success(try self.fetch(secret: try self.config.secret(name)))
                case .token(let profile): return .success(try self.token(profileName: profile))
                }
            } catch let e as SGError { return .failure(e) }
            catch { return .failure(.internalError("\(error)")) }
        }
        return references.map { r in
            if let e = refused[r] { return .failure(e) }
            let answer = fetched[index[fetchKey(r)]!]
            guard case .named(let name, let field) = r, let spec = config.secrets[name] else { return answer }
            return answer.flatMap { raw in
                do { return .success(try Self.pick(field: field, from: raw, of: spec)) }
                catch let e as SGError { return .failure(e) }
                catch { return .failure(.internalError("\(error)")) }
            }
        }
    }

    public func resolve(secret spec: SecretSpec, field: String? = nil) throws -> ResolvedSecret {
        if let field { try Self.checkField(field, of: spec) }
        return try Self.pick(field: field, from: try fetch(secret: spec), of: spec)
    }

    /// Only API-key secrets have fields.
    static func checkField(_ field: String, of spec: SecretSpec) throws {
        if spec.kind != .apiKeySecret && spec.kind != .token {
            throw SGError.badReference("sg:\(spec.name)#\(field): only api-key-secret secrets have fields")
        }
    }

    /// One answer from the appliance (or the token cache) for a secret; for an API-key secret,
    /// the whole JSON array, from which ``pick(field:from:of:)`` takes a field.
    func fetch(secret spec: SecretSpec) throws -> ResolvedSecret {
        let profile = try config.profile(for: spec)
        if spec.kind == .token { return try token(profileName: profile.name) }
        let client = try a2a(for: profile.name)
        guard let source = spec.apiKey else { throw SGError.config("secret \(spec.name) has no api-key") }
        let apiKey = try source.resolve(what: "API key of secret '\(spec.name)'")
        let what = "\(spec.kind.rawValue) '\(spec.name)'"
        Log.logger.debug("fetching \(what) with \(Log.describe(name: "API key", secret: apiKey)) from profile \(profile.name)")
        switch spec.kind {
        case .password:
            return ResolvedSecret(value: try client.retrieve(.password, apiKey: apiKey, what: what), username: spec.username, kind: .password)
        case .privateKey:
            return ResolvedSecret(value: try client.retrieve(.privateKey(spec.format), apiKey: apiKey, what: what), username: spec.username, kind: .privateKey)
        case .apiKeySecret:
            return ResolvedSecret(value: try client.retrieve(.apiKeySecrets, apiKey: apiKey, what: what), username: spec.username, kind: .apiKeySecret)
        case .token:
            fatalError("handled above")
        }
    }

    /// The value a reference asks for out of a fetched answer: the answer itself, or for an
    /// API-key secret one field of its first entry (`field`, else the secret's `field:`, else
    /// the whole JSON).
    static func pick(field: String?, from raw: ResolvedSecret, of spec: SecretSpec) throws -> ResolvedSecret {
        guard spec.kind == .apiKeySecret else { return raw }
        let what = "\(spec.kind.rawValue) '\(spec.name)'"
        let wanted = field ?? spec.field ?? "json"
        if wanted.lowercased() == "json" { return raw }
        let entries = try JSONValue.parse(raw.value).arrayValue ?? []
        guard let first = entries.first else { throw SGError.unexpectedResponse("\(what): the appliance returned no API-key secrets") }
        guard let value = APIKeySecret(first).field(wanted) else {
            throw SGError.badReference("\(what) has no field '\(wanted)' (fields: \(first.objectMembers?.map(\.0).joined(separator: ", ") ?? "none"))")
        }
        return ResolvedSecret(value: value, username: APIKeySecret(first).clientId ?? spec.username, kind: .apiKeySecret)
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
