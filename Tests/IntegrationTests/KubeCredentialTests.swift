import Foundation
import SGTestSupport
import XCTest

/// sg-kube-credential driven by Debian's kubectl 1.20: `kubectl get --raw /version` against a
/// loopback HTTPS endpoint that accepts one bearer token, which only sg can hand over.
final class KubeCredentialTests: XCTestCase {
    nonisolated(unsafe) static var sim: Simulator?
    var env: ToolEnvironment!
    var server: BearerTokenServer!
    var serverDir: URL!
    var sim: Simulator { Self.sim! }

    /// Debian's kubectl: installed, or unpacked by scripts/bootstrap where another package owns /usr/bin/kubectl.
    static let kubectl: String? = ["/opt/sg-test/kubernetes-client/usr/bin/kubectl", "/usr/bin/kubectl"].first { path in
        guard FileManager.default.isExecutableFile(atPath: path),
              let r = try? ToolRunner.run(path, ["version", "--client", "--short"], environment: ["PATH": "/usr/bin:/bin"], timeout: 30) else { return false }
        return r.stdoutText.contains("v1.20.")
    }

    override func setUpWithError() throws {
        guard Self.kubectl != nil else { throw XCTSkip("Debian's kubectl 1.20 is missing: run scripts/bootstrap") }
        if Self.sim == nil { Self.sim = try Simulator() }
        try sim.post("/admin/reset-log")
        env = try ToolEnvironment(sim: sim, label: "kubecred")
        serverDir = try TestPaths.makeTempDir("bearer")
        server = try BearerTokenServer(dir: serverDir, cert: sim.ready.serverCert, key: try XCTUnwrap(sim.ready.serverKey),
                                       token: try XCTUnwrap(sim.ready.passwords["demo-db"]))
    }

    override func tearDown() {
        server?.stop()
        if let serverDir { try? FileManager.default.removeItem(at: serverDir) }
        env = nil
    }

    override class func tearDown() {
        sim?.stop()
        sim = nil
        super.tearDown()
    }

    /// The sim's config with a certificate-login profile and a `kube:` section.
    func configure(_ kube: String) throws {
        let r = sim.ready
        try env.writeConfig(git: "  store-unmapped: false") { text in
            text.replacingOccurrences(of: "profiles:\n", with: """
            profiles:
              cert:
                appliances: ["127.0.0.1:\(r.port)"]
                ca: \(r.ca)
                client: {cert: \(r.clientCert), key: \(r.clientKey)}
                login: certificate

            """) + "\nkube:\n" + kube
        }
    }

    /// A kubeconfig whose user gets its token from `sg-kube-credential NAME`.
    func kubeconfig(entry: String, apiVersion: String = "client.authentication.k8s.io/v1beta1") throws -> String {
        let path = env.home.appendingPathComponent("kubeconfig-\(entry)").path
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: sim
          cluster:
            server: https://127.0.0.1:\(server.port)
            certificate-authority: \(sim.ready.ca)
        users:
        - name: sg
          user:
            exec:
              apiVersion: \(apiVersion)
              command: sg-kube-credential
              args: [\(entry)]
        contexts:
        - name: sim
          context: {cluster: sim, user: sg}
        current-context: sim

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func kubectl(_ kubeconfig: String) throws -> ToolRun {
        try env.run([Self.kubectl!, "--kubeconfig", kubeconfig, "get", "--raw", "/version"], timeout: 120)
    }

    func testKubectlGetsTheA2ATokenAndLaterCallsAnswerFromTheCache() throws {
        try configure("  prod: {token: 'sg:demo-db', cache-seconds: 600}\n")
        let config = try kubeconfig(entry: "prod")
        let since = Date()
        for _ in 0..<3 {
            let r = try kubectl(config)
            XCTAssertEqual(r.status, 0, r.stderrText)
            XCTAssertTrue(r.stdoutText.contains("v1.20.2-sg-test"), r.stdoutText)
        }
        XCTAssertEqual(server.hits, ["ok", "ok", "ok"])
        XCTAssertEqual(try env.a2aFetches(), 1, "the second and third kubectl were answered from the session keyring")
        let leaks = LeakCheck(simulator: sim.ready)
        XCTAssertEqual(leaks.checkFiles(under: env.home, since: since), [])
    }

    func testKubectlGetsTheCachedUserTokenWithItsExpiry() throws {
        try configure("  dev: {token: 'sg:token/cert'}\n")
        let login = try env.run(["sg-token", "login", "-p", "cert"])
        XCTAssertEqual(login.status, 0, login.stderrText)
        let token = try env.run(["sg-token", "get", "-p", "cert"])
        XCTAssertEqual(token.status, 0, token.stderrText)
        try server.expect(token.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
        try sim.post("/admin/reset-log")
        let config = try kubeconfig(entry: "dev")
        XCTAssertEqual(try kubectl(config).status, 0)
        XCTAssertEqual(try kubectl(config).status, 0)
        XCTAssertEqual(try sim.log().count, 0, "the token came from the token cache, without a request to the appliance")
        // The plugin's own answer carries the token's expiry, RFC 3339 in UTC.
        env.extra["KUBERNETES_EXEC_INFO"] = #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#
        let answer = try env.run(["sg-kube-credential", "dev"])
        XCTAssertEqual(answer.status, 0, answer.stderrText)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: answer.stdout) as? [String: Any])
        XCTAssertEqual(json["apiVersion"] as? String, "client.authentication.k8s.io/v1beta1")
        XCTAssertEqual(json["kind"] as? String, "ExecCredential")
        let status = try XCTUnwrap(json["status"] as? [String: String])
        let stamp = try XCTUnwrap(status["expirationTimestamp"])
        XCTAssertNotNil(stamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression), stamp)
    }

    func testAWrongTokenIsRefusedByTheServer() throws {
        try configure("  prod: {token: 'sg:git-team'}\n")
        let r = try kubectl(try kubeconfig(entry: "prod"))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderrText.contains("Unauthorized"), r.stderrText)
        XCTAssertTrue(server.hits.allSatisfy { $0 == "denied" } && !server.hits.isEmpty)
    }

    func testKubectlAskingForV1alpha1GetsV1alpha1() throws {
        try configure("  prod: {token: 'sg:demo-db'}\n")
        let r = try kubectl(try kubeconfig(entry: "prod", apiVersion: "client.authentication.k8s.io/v1alpha1"))
        XCTAssertEqual(r.status, 0, r.stderrText)
    }

    func testErrorsGoToStderrWithSysexits() throws {
        try configure("  prod: {token: 'sg:demo-db'}\n")
        let unknown = try env.run(["sg-kube-credential", "staging"])
        XCTAssertEqual(unknown.status, 78)
        XCTAssertEqual(unknown.stdoutText, "")
        XCTAssertTrue(unknown.stderrText.contains("no kube entry 'staging' (defined: prod)"), unknown.stderrText)
        env.extra["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"client.authentication.k8s.io/v9"}"#
        let version = try env.run(["sg-kube-credential", "prod"])
        XCTAssertEqual(version.status, 65)
        XCTAssertEqual(version.stdoutText, "")
        XCTAssertEqual(try env.run(["sg-kube-credential"]).status, 64)
        XCTAssertEqual(try env.run(["sg-kube-credential", "prod", "staging"]).status, 64)
        XCTAssertEqual(try env.run(["sg-kube-credential", "--entry", "../x"]).status, 64)
    }
}
