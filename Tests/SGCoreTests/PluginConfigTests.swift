import SGCore
import XCTest

/// The `docker:` and `kube:` sections of the config (docs/config.md).
final class PluginConfigTests: XCTestCase {
    func parse(_ body: String) throws -> Config {
        try ConfigLoader.parse("version: 1\nsecrets:\n  s: {api-key: {env: X}}\n" + body, file: "/cfg/config.yaml")
    }

    func testDockerRulesAreKeyedByNormalisedRegistry() throws {
        let c = try parse("docker:\n  store-unmapped: yes\n  rules:\n    - registry: https://index.docker.io/v1/\n      secret: s\n      username: bob\n      cache-ttl: 0\n    - {registry: 'Reg.Corp:5000', secret: s}\n")
        XCTAssertTrue(c.docker.storeUnmapped)
        XCTAssertEqual(c.docker.rules.map(\.registry), ["docker.io", "reg.corp:5000"])
        XCTAssertEqual(c.docker.rule(for: "docker.io")?.username, "bob")
        XCTAssertEqual(c.docker.rule(for: "docker.io")?.cacheTTL, 0)
        XCTAssertEqual(c.docker.rule(for: "reg.corp:5000")?.cacheTTL, 300)
        XCTAssertEqual(c.docker.rule(for: "reg.corp:5000")?.origin, "/cfg/config.yaml:11")
    }

    func testBadDockerRulesNameFileAndLine() {
        for (body, words) in [("docker:\n  rules:\n    - {registry: 'user@reg.corp', secret: s}\n", "config.yaml:6: registry 'user@reg.corp' is not a registry address"),
                              ("docker:\n  rules:\n    - {registry: reg.corp}\n", "needs registry and secret"),
                              ("docker:\n  rules:\n    - {registry: reg.corp, secret: s}\n    - {registry: 'https://REG.corp/', secret: s}\n", "a second rule for registry reg.corp"),
                              ("docker:\n  rules:\n    - {registry: reg.corp, secret: s, cache-ttl: -1}\n", "cache-ttl"),
                              ("docker:\n  rulez: []\n", "unknown key 'rulez'")] {
            XCTAssertThrowsError(try parse(body), body) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .config)
                XCTAssertTrue("\(error)".contains(words), "\(error)")
            }
        }
    }

    func testKubeEntriesTakeAReference() throws {
        let c = try parse("kube:\n  prod: {token: 'sg:s', cache-seconds: 60}\n  dev:\n    token: sg:token/corp\n")
        XCTAssertEqual(c.kube.entries["prod"]?.token, .named("s", field: nil))
        XCTAssertEqual(c.kube.entries["prod"]?.cacheSeconds, 60)
        XCTAssertEqual(c.kube.entries["dev"]?.token, .token(profile: "corp"))
        XCTAssertEqual(c.kube.entries["dev"]?.cacheSeconds, 300)
    }

    func testBadKubeEntriesAreRefused() {
        for (body, words) in [("kube:\n  prod: {cache-seconds: 5}\n", "needs 'token:"),
                              ("kube:\n  prod: {token: s}\n", "never the secret itself"),
                              ("kube:\n  prod: {token: 'sg:s', cache-seconds: 999999}\n", "cache-seconds"),
                              ("kube:\n  'a b': {token: 'sg:s'}\n", "bad kube entry name")] {
            XCTAssertThrowsError(try parse(body), body) { error in
                XCTAssertTrue("\(error)".contains(words), "\(error)")
            }
        }
    }
}
