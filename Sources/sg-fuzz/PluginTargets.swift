import SGCore
import SGPlugins

/// The plugins' input parsers: what docker clients and kubectl hand the plugins (target
/// `docker-credential` in Targets.swift).
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
