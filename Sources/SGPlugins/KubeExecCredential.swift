import SGCore

/// kubectl's exec credential plugin protocol (client-go `client.authentication.k8s.io`): the
/// plugin prints an `ExecCredential` with `status.token` and, when known, `status.expirationTimestamp`
/// (RFC 3339, UTC), in the apiVersion that kubectl names in `KUBERNETES_EXEC_INFO` (its
/// kubeconfig's `exec.apiVersion`). kubectl 1.20 (Debian 12) speaks v1alpha1 and v1beta1; v1
/// came with 1.22.
///
///     let version = try KubeExecCredential.apiVersion(execInfo: env["KUBERNETES_EXEC_INFO"])
///     SecretOutput.write(try KubeExecCredential(apiVersion: version, token: t, expiresAt: e).encoded(), newline: false)
public struct KubeExecCredential {
    public static let group = "client.authentication.k8s.io"
    public static let versions = ["v1", "v1beta1", "v1alpha1"]
    /// What an exec plugin answers when kubectl sets no KUBERNETES_EXEC_INFO (kubectl < 1.11 did not).
    public static let fallbackVersion = "client.authentication.k8s.io/v1beta1"
    /// Far more than client-go's ExecCredential; refused beyond it rather than parsed.
    public static let maxExecInfo = 64 << 10

    public let apiVersion: String
    public let token: SecretBytes
    /// Wall-clock seconds; nil when the token's end is not known.
    public let expiresAt: Double?

    public init(apiVersion: String, token: SecretBytes, expiresAt: Double?) {
        self.apiVersion = apiVersion
        self.token = token
        self.expiresAt = expiresAt
    }

    /// The apiVersion to answer in: the one `KUBERNETES_EXEC_INFO` carries, checked against the
    /// versions this plugin can write.
    public static func apiVersion(execInfo: String?) throws -> String {
        guard let info = execInfo, !info.isEmpty else { return fallbackVersion }
        guard info.utf8.count <= maxExecInfo, let json = try? JSONValue.parse(info), json.objectMembers != nil else {
            throw SGError.malformedInput("KUBERNETES_EXEC_INFO is not an ExecCredential JSON object")
        }
        guard let version = json["apiVersion"]?.text else {
            throw SGError.malformedInput("KUBERNETES_EXEC_INFO names no apiVersion")
        }
        guard versions.contains(where: { version == "\(group)/\($0)" }) else {
            throw SGError.malformedInput("kubectl asks for apiVersion '\(version.prefix(80))'; sg-kube-credential answers \(versions.map { "\(group)/\($0)" }.joined(separator: ", ")): set one of them as the kubeconfig's exec apiVersion")
        }
        return version
    }

    /// `{"apiVersion":…,"kind":"ExecCredential","status":{"token":…,"expirationTimestamp":…}}` and a
    /// newline. The token must be UTF-8 without control characters: it becomes an HTTP header.
    public func encoded() throws -> SecretBytes {
        let bad = token.withUnsafeBytes { raw in raw.isEmpty || raw.contains { $0 < 0x20 || $0 == 0x7F } }
        guard !bad, token.isValidUTF8 else {
            throw SGError.unexpectedResponse("the token is empty or holds control characters or non-UTF-8 bytes; it cannot be a bearer token")
        }
        var status: [(String, JSONValue)] = [("token", .string(token))]
        if let expiresAt, let stamp = Self.timestamp(expiresAt) { status.append(("expirationTimestamp", .text(stamp))) }
        let out = SecretBuffer(capacity: token.count + 160)
        JSONValue.object([("apiVersion", .text(apiVersion)), ("kind", .text("ExecCredential")), ("status", .object(status))]).write(to: out)
        out.append("\n")
        return out.take()
    }

    /// RFC 3339 in UTC (`Instant.rfc3339`); nil outside years 1970...9999, which no real expiry is.
    public static func timestamp(_ seconds: Double) -> String? {
        guard seconds.isFinite, seconds >= 0, seconds <= 253_402_300_799 else { return nil }
        return Instant(timeIntervalSince1970: seconds).rfc3339
    }
}
