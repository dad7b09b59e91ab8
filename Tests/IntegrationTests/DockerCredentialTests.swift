import Foundation
import SGTestSupport
import XCTest

/// docker-credential-sg driven by a real client: skopeo pushes a locally built one-layer OCI image
/// to Debian's docker-registry (TLS with sg-sim's CA, htpasswd bcrypt auth) and inspects it, with
/// the registry password coming only through `credHelpers` → docker-credential-sg → sg-sim.
final class DockerCredentialTests: XCTestCase {
    nonisolated(unsafe) static var sim: Simulator?
    nonisolated(unsafe) static var registry: ContainerRegistry?
    nonisolated(unsafe) static var registryDir: URL?

    /// The registry's user and the sim secret that holds its password.
    static let user = "dbadmin"
    static let secret = "demo-db"

    var env: ToolEnvironment!
    var sim: Simulator { Self.sim! }
    var registry: ContainerRegistry { Self.registry! }
    var address: String { "127.0.0.1:\(registry.port)" }

    override func setUpWithError() throws {
        for tool in ["/usr/bin/skopeo", "/usr/bin/docker-registry", "/usr/bin/htpasswd"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing: run scripts/bootstrap")
        }
        // One sim and one registry for the class (a registry start costs seconds).
        if Self.sim == nil { Self.sim = try Simulator() }
        if Self.registry == nil {
            let dir = try TestPaths.makeTempDir("registry")
            Self.registryDir = dir
            Self.registry = try ContainerRegistry(dir: dir, cert: sim.ready.serverCert, key: try XCTUnwrap(sim.ready.serverKey),
                                                  user: Self.user, password: try XCTUnwrap(sim.ready.passwords[Self.secret]))
        }
        env = try ToolEnvironment(sim: sim, label: "dockercred")
        try writeAuthFiles()
    }

    override class func tearDown() {
        registry?.stop()
        registry = nil
        if let dir = registryDir { try? FileManager.default.removeItem(at: dir) }
        sim?.stop()
        sim = nil
        super.tearDown()
    }

    override func tearDown() { env = nil }

    var authFile: URL { env.home.appendingPathComponent("auth.json") }
    var certDir: URL { env.home.appendingPathComponent("certs") }
    var policy: URL { env.home.appendingPathComponent("policy.json") }

    /// containers' auth.json with only a credHelpers entry for the registry, sim's CA for skopeo,
    /// and a policy that accepts the unsigned test image.
    func writeAuthFiles() throws {
        try #"{"credHelpers": {"\#(address)": "sg"}}"#.write(to: authFile, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: certDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: sim.ready.ca, toPath: certDir.appendingPathComponent("ca.crt").path)
        try #"{"default": [{"type": "insecureAcceptAnything"}]}"#.write(to: policy, atomically: true, encoding: .utf8)
    }

    /// The sim's config with a `docker:` section (git's rules dropped).
    func configure(_ docker: String) throws {
        try env.writeConfig(git: "  store-unmapped: false") { $0 + "\ndocker:\n" + docker }
    }

    func rule(secret: String, username: String? = nil) -> String {
        "  rules:\n    - registry: https://\(address)\n      secret: \(secret)\n" + (username.map { "      username: \($0)\n" } ?? "")
    }

    func skopeo(_ args: [String]) throws -> ToolRun {
        try env.run(["skopeo", "--policy", policy.path] + args, timeout: 120)
    }

    func inspect(_ reference: String) throws -> ToolRun {
        try skopeo(["inspect", "--authfile", authFile.path, "--cert-dir", certDir.path, "docker://\(address)/\(reference)"])
    }

    func helper(_ action: String, _ input: String) throws -> ToolRun {
        try env.run(["docker-credential-sg", action], input: input)
    }

    /// A one-layer OCI image layout made here (no pulls): one file in an uncompressed tar layer.
    func buildImage() throws -> URL {
        let layout = env.home.appendingPathComponent("image")
        let blobs = layout.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let content = env.home.appendingPathComponent("content")
        try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
        try "hello from sg\n".write(to: content.appendingPathComponent("hello.txt"), atomically: true, encoding: .utf8)
        let layerTar = env.home.appendingPathComponent("layer.tar")
        let tar = try env.run(["tar", "--sort=name", "--owner=0", "--group=0", "--mtime=@0", "-cf", layerTar.path, "-C", content.path, "hello.txt"])
        XCTAssertEqual(tar.status, 0, tar.stderrText)

        func addBlob(_ data: Data) throws -> (digest: String, size: Int) {
            let scratch = env.home.appendingPathComponent("blob.tmp")
            try data.write(to: scratch)
            let sum = try env.run(["sha256sum", scratch.path])
            let hex = String(sum.stdoutText.prefix(64))
            try FileManager.default.moveItem(at: scratch, to: blobs.appendingPathComponent(hex))
            return ("sha256:" + hex, data.count)
        }
        let layer = try addBlob(try Data(contentsOf: layerTar))
        let config = try addBlob(Data(#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["\#(layer.digest)"]}}"#.utf8))
        let manifest = try addBlob(Data("""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config.digest)","size":\(config.size)},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layer.digest)","size":\(layer.size)}]}
        """.utf8))
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(to: layout.appendingPathComponent("oci-layout"), atomically: true, encoding: .utf8)
        try """
        {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(manifest.digest)",\
        "size":\(manifest.size),"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}
        """.write(to: layout.appendingPathComponent("index.json"), atomically: true, encoding: .utf8)
        return layout
    }

    func testSkopeoPushesAndInspectsWithThePasswordFromSG() throws {
        try configure(rule(secret: Self.secret, username: Self.user))
        let since = Date()
        try sim.post("/admin/reset-log")
        let image = try buildImage()
        let push = try skopeo(["copy", "--dest-authfile", authFile.path, "--dest-cert-dir", certDir.path,
                               "oci:\(image.path):v1", "docker://\(address)/sg/hello:v1"])
        XCTAssertEqual(push.status, 0, push.stderrText)
        let look = try inspect("sg/hello:v1")
        XCTAssertEqual(look.status, 0, look.stderrText)
        XCTAssertTrue(look.stdoutText.contains("\"Name\": \"\(address)/sg/hello\""), look.stdoutText)
        // One A2A fetch served the push and the inspect (the session cache, cache-ttl 300).
        XCTAssertEqual(try env.a2aFetches(), 1)
        // The password is nowhere but in the 0600 session keyring sg keeps.
        let leaks = LeakCheck(simulator: sim.ready)
        XCTAssertEqual(leaks.check(push) + leaks.check(look), [])
        XCTAssertEqual(leaks.checkFiles(under: env.home, since: since), [])
    }

    func testAWrongMappingIsRefusedByTheRegistry() throws {
        try configure(rule(secret: "git-team", username: Self.user))
        let look = try inspect("sg/hello:v1")
        XCTAssertNotEqual(look.status, 0)
        XCTAssertTrue(look.stderrText.lowercased().contains("unauthorized") || look.stderrText.contains("authentication required"), look.stderrText)
        XCTAssertEqual(try env.a2aFetches() > 0, true, "the wrong password was fetched and offered")
    }

    func testAnUnmappedRegistryGoesAnonymous() throws {
        try configure(rule(secret: Self.secret, username: Self.user).replacingOccurrences(of: address, with: "other.example:5000"))
        let get = try helper("get", address)
        XCTAssertEqual(get.status, 1)
        XCTAssertEqual(get.stdoutText, "credentials not found in native keychain\n")
        let look = try inspect("sg/hello:v1")
        XCTAssertNotEqual(look.status, 0, "anonymous access is refused by the registry")
    }

    func testHelperSpeaksTheProtocol() throws {
        try configure(rule(secret: Self.secret, username: Self.user) + "  store-unmapped: true\n")
        let password = try XCTUnwrap(sim.ready.passwords[Self.secret])
        // get: the JSON answer for every spelling of the registry.
        for url in [address, "https://\(address)", "https://\(address)/v2/"] {
            let get = try helper("get", url)
            XCTAssertEqual(get.status, 0, get.stdoutText)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: get.stdout) as? [String: String])
            XCTAssertEqual(json, ["ServerURL": url, "Username": Self.user, "Secret": password])
        }
        // store for an unmapped registry keeps it (store-unmapped); get, list and erase see it.
        let store = try helper("store", #"{"ServerURL":"https://other.example","Username":"bob","Secret":"b0b-Secret"}"#)
        XCTAssertEqual(store.status, 0, store.stdoutText)
        XCTAssertEqual(try helper("get", "other.example").stdoutText, #"{"ServerURL":"other.example","Username":"bob","Secret":"b0b-Secret"}"# + "\n")
        let list = try helper("list", "")
        XCTAssertEqual(try JSONSerialization.jsonObject(with: list.stdout) as? [String: String], [address: Self.user, "other.example": "bob"])
        XCTAssertEqual(try helper("erase", "https://other.example").status, 0)
        XCTAssertEqual(try helper("get", "other.example").stdoutText, "credentials not found in native keychain\n")
        // Errors go to stdout, exit 1, one line.
        let bad = try helper("get", "user@\(address)")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdoutText.hasPrefix("malformed input: 'user@"), bad.stdoutText)
        XCTAssertEqual(bad.stdoutText.split(separator: "\n").count, 1)
        let noURL = try helper("store", #"{"Username":"bob","Secret":"x"}"#)
        XCTAssertEqual(noURL.status, 1)
        XCTAssertEqual(noURL.stdoutText, "no credentials server URL\n")
        let unknown = try helper("frobnicate", "")
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stdoutText.contains("unknown action 'frobnicate'"), unknown.stdoutText)
        XCTAssertEqual(try helper("version", "").stdoutText, "docker-credential-sg (sg)\n")
    }

    func testOnTheSecretServiceTheCopyAndTheStoredLoginLiveInGnomeKeyring() throws {
        let session = try SecretServiceSession.start(.unlocked)
        defer { session.stop() }
        env.extra["DBUS_SESSION_BUS_ADDRESS"] = session.address
        env.extra["SG_KEYRING"] = ""   // auto: the Secret Service answers on the bus
        try configure(rule(secret: Self.secret, username: Self.user) + "  store-unmapped: true\n")
        try sim.post("/admin/reset-log")
        for _ in 0..<2 {
            let get = try helper("get", address)
            XCTAssertEqual(get.status, 0, get.stdoutText)
            XCTAssertTrue(get.stdoutText.contains(try XCTUnwrap(sim.ready.passwords[Self.secret])))
        }
        XCTAssertEqual(try env.a2aFetches(), 1, "the second get was answered from the session collection")
        XCTAssertEqual(try helper("store", #"{"ServerURL":"other.example","Username":"bob","Secret":"b0b-Secret"}"#).status, 0)
        let stored = try session.run(["secret-tool", "lookup", "service", "docker:other.example", "username", "bob"])
        XCTAssertEqual(stored.status, 0, stored.stderr)
        XCTAssertTrue(stored.stdout.hasSuffix("b0b-Secret"), "kept in the login collection, readable by libsecret")
        XCTAssertEqual(try helper("get", "https://other.example/v2/").stdoutText, #"{"ServerURL":"https://other.example/v2/","Username":"bob","Secret":"b0b-Secret"}"# + "\n")
    }
}
