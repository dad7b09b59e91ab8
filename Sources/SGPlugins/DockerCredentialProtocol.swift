import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// The docker-credential-helpers protocol (docker, podman, buildah, skopeo): what comes on stdin
/// and what goes to stdout. `get`/`erase` read a server URL, `store` a JSON object
/// `{"ServerURL","Username","Secret"}`; `get` answers the same object and `list` an object of
/// server URL → user name. Every error is one line on **stdout** with exit status 1, and a
/// registry without credentials is exactly `credentials not found in native keychain`, which
/// clients take as "go anonymous".
///
///     let url = try DockerCredentialProtocol.serverURL(try DockerCredentialProtocol.readInput(fd: 0))
///     SecretOutput.write(try DockerCredentialProtocol.encode(credential), newline: true)
public enum DockerCredentialProtocol {
    /// The error texts clients compare against (docker-credential-helpers' `credentials/error.go`).
    public static let notFound = "credentials not found in native keychain"
    public static let missingServerURL = "no credentials server URL"
    public static let missingUsername = "no credentials username"

    /// The failures the protocol has fixed words for: clients compare the text.
    public enum Failure: Error, Equatable {
        /// The registry has no credentials here: the client goes anonymous.
        case notFound
        case missingServerURL
        case missingUsername

        public var message: String {
            switch self {
            case .notFound: return DockerCredentialProtocol.notFound
            case .missingServerURL: return DockerCredentialProtocol.missingServerURL
            case .missingUsername: return DockerCredentialProtocol.missingUsername
            }
        }
    }

    /// A `store` request is a few hundred bytes; a megabyte is a client gone wrong.
    public static let maxInput = 1 << 20

    /// One credential as the protocol carries it.
    public struct Credential: Sendable {
        public var serverURL: String
        public var username: String
        public var secret: SecretBytes
        public init(serverURL: String, username: String, secret: SecretBytes) {
            self.serverURL = serverURL
            self.username = username
            self.secret = secret
        }
    }

    /// Reads stdin to its end into secret memory (a `store` request carries the password).
    public static func readInput(fd: Int32) throws -> SecretBytes {
        let buffer = SecretBuffer(capacity: 1024, limit: maxInput)
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { SecretBytes.wipe(&chunk) }
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 { if errno == EINTR { continue }; throw SGError.io("reading stdin: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            let ok = chunk.withUnsafeBytes { buffer.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            guard ok else { throw SGError.malformedInput("request larger than \(maxInput) bytes") }
        }
        return buffer.take()
    }

    /// The server URL of a `get`/`erase` request, trimmed as docker-credential-helpers trims it.
    /// An empty one is the protocol's `no credentials server URL` (`Failure.missingServerURL`).
    public static func serverURL(_ input: SecretBytes) throws -> String {
        guard input.isValidUTF8 else { throw SGError.malformedInput("the server URL is not UTF-8") }
        let url = DockerRegistry.trimmed(input.unsafeString())
        guard !url.isEmpty else { throw Failure.missingServerURL }
        return url
    }

    /// The credential of a `store` request. ServerURL and Username must be there; the secret
    /// stays in secret memory.
    public static func storeRequest(_ input: SecretBytes) throws -> Credential {
        let json: JSONValue
        do { json = try JSONValue.parse(input, maxDepth: 8) } catch {
            throw SGError.malformedInput("a store request is a JSON object {\"ServerURL\",\"Username\",\"Secret\"}")
        }
        guard json.objectMembers != nil else { throw SGError.malformedInput("a store request is a JSON object {\"ServerURL\",\"Username\",\"Secret\"}") }
        guard let url = member(json, "ServerURL")?.text.map(DockerRegistry.trimmed), !url.isEmpty else { throw Failure.missingServerURL }
        guard let user = member(json, "Username")?.text, !user.isEmpty else { throw Failure.missingUsername }
        let secret: SecretBytes
        switch member(json, "Secret") {
        case .string(let s)?: secret = s
        case nil, .null?: secret = SecretBytes(bytes: [UInt8]())
        default: throw SGError.malformedInput("Secret must be a JSON string")
        }
        return Credential(serverURL: url, username: user, secret: secret)
    }

    /// The `get` answer: `{"ServerURL":…,"Username":…,"Secret":…}` and a newline, as Go's
    /// json.Encoder writes it. A secret that is not UTF-8 is refused: Go's decoder would turn its
    /// bad bytes into U+FFFD and the client would send a wrong password without a word.
    public static func encode(_ c: Credential) throws -> SecretBytes {
        guard c.secret.isValidUTF8 else { throw SGError.unexpectedResponse("the password for \(c.serverURL) is not UTF-8; docker clients cannot carry it") }
        let out = SecretBuffer(capacity: c.secret.count + c.serverURL.utf8.count + c.username.utf8.count + 48)
        JSONValue.object([("ServerURL", .text(c.serverURL)), ("Username", .text(c.username)), ("Secret", .string(c.secret))]).write(to: out)
        out.append("\n")
        return out.take()
    }

    /// The `list` answer: server URL → user name.
    public static func encodeList(_ entries: [(serverURL: String, username: String)]) -> String {
        JSONValue.object(entries.map { ($0.serverURL, JSONValue.text($0.username)) }).serialized().unsafeString() + "\n"
    }

    /// Members are matched exactly: Go's decoder also accepts other cases, but clients write these.
    static func member(_ json: JSONValue, _ key: String) -> JSONValue? {
        json.objectMembers?.first(where: { $0.0 == key })?.1 ?? json[key]
    }
}
