import SGCore
@testable import SGPlugins
import XCTest

/// The docker-credential-helpers protocol: registry keys, the request and answer JSON, the error words.
final class DockerCredentialProtocolTests: XCTestCase {
    func testServerURLFormsOfOneRegistryGiveOneKey() {
        for url in ["registry.corp:5000", "https://registry.corp:5000", "https://Registry.Corp:5000/v2/", "http://registry.corp:5000",
                    "  registry.corp:5000\n", "registry.corp.:5000", "https://registry.corp:5000?x=1", "registry.corp:5000#frag"] {
            XCTAssertEqual(DockerRegistry.key(url), "registry.corp:5000", url)
        }
    }

    func testDockerHubSpellingsFoldIntoDockerIO() {
        for url in ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io", "https://registry.hub.docker.com"] {
            XCTAssertEqual(DockerRegistry.key(url), "docker.io", url)
        }
        // A port makes it another server.
        XCTAssertEqual(DockerRegistry.key("docker.io:5000"), "docker.io:5000")
    }

    func testIPAddressesKeepTheirForm() {
        XCTAssertEqual(DockerRegistry.key("127.0.0.1:5000"), "127.0.0.1:5000")
        XCTAssertEqual(DockerRegistry.key("https://[::1]:5000/v2"), "[::1]:5000")
        XCTAssertEqual(DockerRegistry.key("[fe80::1]"), "[fe80::1]")
    }

    func testNonRegistryAddressesAreRefused() {
        for url in ["", "   ", "https://", "ftp://registry.corp", "user:pw@registry.corp", "https://user@registry.corp",
                    "registry.corp:0", "registry.corp:65536", "registry.corp:05000", "registry.corp:+50", "registry.corp:50:60",
                    "reg istry.corp", "registry\u{1B}[31m.corp", "registry\r\n.corp", "-registry.corp", ".corp", "a..b",
                    "[::1", "[zz::1]", "[::1]x", "[]", "régistry.corp", String(repeating: "a", count: 4000)] {
            XCTAssertNil(DockerRegistry.key(url), url.debugDescription)
        }
    }

    func testStoreRequestCarriesTheSecretAndNeedsURLAndUser() throws {
        let c = try DockerCredentialProtocol.storeRequest(SecretBytes(string: #"{"ServerURL":" https://r.corp:5000 ","Username":"bob","Secret":"p\"w\u00e9"}"#))
        XCTAssertEqual(c.serverURL, "https://r.corp:5000")
        XCTAssertEqual(c.username, "bob")
        XCTAssertEqual(c.secret.unsafeString(), "p\"wé")
        for (input, failure) in [(#"{"Username":"bob","Secret":"x"}"#, DockerCredentialProtocol.Failure.missingServerURL),
                                 (#"{"ServerURL":"r.corp","Secret":"x"}"#, .missingUsername),
                                 (#"{"ServerURL":"r.corp","Username":"","Secret":"x"}"#, .missingUsername)] {
            XCTAssertThrowsError(try DockerCredentialProtocol.storeRequest(SecretBytes(string: input)), input) { error in
                XCTAssertEqual(error as? DockerCredentialProtocol.Failure, failure, input)
            }
        }
        XCTAssertEqual(DockerCredentialProtocol.Failure.missingServerURL.message, "no credentials server URL")
        XCTAssertEqual(DockerCredentialProtocol.Failure.missingUsername.message, "no credentials username")
        for (input, words) in [(#"["r.corp"]"#, "JSON object"), ("not json", "JSON object"),
                               (#"{"ServerURL":"r.corp","Username":"bob","Secret":7}"#, "Secret must be a JSON string")] {
            XCTAssertThrowsError(try DockerCredentialProtocol.storeRequest(SecretBytes(string: input)), input) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .dataError)
                XCTAssertTrue((error as? SGError)?.message.contains(words) ?? false, "\(input): \(error)")
            }
        }
    }

    func testGetAnswerIsTheJSONGoDecodes() throws {
        let out = try DockerCredentialProtocol.encode(.init(serverURL: "https://r.corp:5000", username: "svc\"x", secret: SecretBytes(string: "pä\\ss\n")))
        XCTAssertEqual(out.unsafeString(), #"{"ServerURL":"https://r.corp:5000","Username":"svc\"x","Secret":"pä\\ss\n"}"# + "\n")
        let parsed = try JSONValue.parse(out.droppingTrailingNewline())
        XCTAssertEqual(try parsed.require("Secret").secret().unsafeString(), "pä\\ss\n")
    }

    func testANonUTF8SecretIsRefusedNotMangled() {
        let c = DockerCredentialProtocol.Credential(serverURL: "r.corp", username: "u", secret: SecretBytes(bytes: [0x70, 0xFF, 0x77]))
        XCTAssertThrowsError(try DockerCredentialProtocol.encode(c)) { error in
            XCTAssertFalse("\(error)".contains("p\u{FFFD}w"))
        }
    }

    func testServerURLMustNotBeEmpty() {
        XCTAssertThrowsError(try DockerCredentialProtocol.serverURL(SecretBytes(string: " \n"))) { error in
            XCTAssertEqual(error as? DockerCredentialProtocol.Failure, .missingServerURL)
        }
        XCTAssertEqual(try DockerCredentialProtocol.serverURL(SecretBytes(string: "r.corp\n")), "r.corp")
    }

    func testListAnswerMapsURLToUser() throws {
        let text = DockerCredentialProtocol.encodeList([("r.corp:5000", "svc"), ("docker.io", "")])
        XCTAssertEqual(text, #"{"r.corp:5000":"svc","docker.io":""}"# + "\n")
    }
}
