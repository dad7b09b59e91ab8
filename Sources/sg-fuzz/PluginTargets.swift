import SGCore
import SGPlugins

/// Targets for the host-tool plugins (SGPlugins): their argv parsers and the JSON they print.
let pluginFuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "plugin-args", summary: "SGPlugins argv parsers (AWSCredentialTool, AnsibleVaultClient) over NUL-separated arguments", run: fuzzPluginArguments),
    FuzzTarget(name: "docker-credential", summary: "SGPlugins docker-credential-helpers input (server URL → DockerRegistry.key, store JSON) and KUBERNETES_EXEC_INFO", run: fuzzDockerCredential),
    FuzzTarget(name: "aws-process", summary: "AWSProcessCredentials.json over NUL-separated key id / secret / token: refused, or JSON that parses back to the same values", run: fuzzAWSProcess),
]

/// The input's NUL-separated pieces (as argv would carry them).
func pieces(_ raw: UnsafeRawBufferPointer) -> [[UInt8]] {
    raw.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
}

func fuzzPluginArguments(_ raw: UnsafeRawBufferPointer) {
    let args = pieces(raw).map { String(decoding: $0, as: UTF8.self) }
    if case .value(let name)? = try? AWSCredentialTool.parse(args), !SecretReference.isValidName(name) {
        fatalError("AWSCredentialTool.parse accepted the profile name \(name.debugDescription)")
    }
    if case .value(let id)? = try? AnsibleVaultClient.parse(args), !AnsibleConfig.isVaultID(id) {
        fatalError("AnsibleVaultClient.parse accepted the vault id \(id.debugDescription)")
    }
}

func fuzzAWSProcess(_ raw: UnsafeRawBufferPointer) {
    let parts = pieces(raw).map { SecretBytes(bytes: $0) }
    let token = parts.count > 2 ? parts[2] : nil
    let creds = AWSProcessCredentials(profile: "fuzz", accessKeyID: parts[0], secretAccessKey: parts.count > 1 ? parts[1] : SecretBytes(bytes: []),
                                      sessionToken: token, expiration: Instant(timeIntervalSince1970: 1_800_000_000))
    guard let json = try? creds.json() else { return }
    // What botocore does with it: parse, then read each member back byte for byte.
    guard let doc = try? JSONValue.parse(json) else { fatalError("AWSProcessCredentials.json printed JSON that does not parse") }
    func same(_ key: String, _ value: SecretBytes) -> Bool {
        guard case .string(let s)? = doc[key] else { return false }
        return s.constantTimeEquals(value)
    }
    guard doc["Version"]?.intValue == 1, same("AccessKeyId", creds.accessKeyID), same("SecretAccessKey", creds.secretAccessKey),
          token.map({ same("SessionToken", $0) }) ?? (doc["SessionToken"] == nil),
          doc["Expiration"]?.text == "2027-01-15T08:00:00Z" else {
        fatalError("AWSProcessCredentials.json does not carry back the values it was given")
    }
}

/// What docker clients and kubectl hand the plugins: a server URL or a `store` JSON on stdin, and
/// KUBERNETES_EXEC_INFO.
func fuzzDockerCredential(_ raw: UnsafeRawBufferPointer) {
    let input = secret(raw)
    if let url = try? DockerCredentialProtocol.serverURL(input), let key = DockerRegistry.key(url) {
        // A key is its own key: config rules and requests are normalised by the same function.
        precondition(DockerRegistry.key(key) == key, "DockerRegistry.key is not idempotent")
        precondition(!key.utf8.contains { $0 < 0x21 || $0 == 0x7F || $0 == 0x2F || $0 == 0x40 }, "a registry key holds a separator")
    }
    if let c = try? DockerCredentialProtocol.storeRequest(input) {
        _ = try? DockerCredentialProtocol.encode(c)
    }
    _ = try? KubeExecCredential.apiVersion(execInfo: text(raw))
}
