import XCTest
@testable import SGCore

/// The `exec:` section of the config (docs/config.md).
final class ExecConfigTests: XCTestCase {
    func parse(_ body: String) throws -> Config {
        try ConfigLoader.parse("version: 1\n" + body, file: "/etc/sg/test.yaml", home: "/home/u")
    }

    func testEnvAndAllowEnvAreExactNames() throws {
        let c = try parse("exec:\n  env: [PGPASSWORD, API_TOKEN]\n  allow-env: PYTHONPATH\n")
        XCTAssertEqual(c.exec.env, ["PGPASSWORD", "API_TOKEN"])
        XCTAssertEqual(c.exec.allowEnv, ["PYTHONPATH"])
        XCTAssertEqual(try parse("").exec.env, [])
    }

    func testGlobsTyposAndShapesAreRefusedWithFileAndLine() throws {
        for (body, expected) in [("exec:\n  env: [\"PG*\"]\n", "test.yaml:3: exec.env: 'PG*' is not a variable name"),
                                 ("exec:\n  env: [\"A=B\"]\n", "is not a variable name"),
                                 ("exec:\n  env: [\"1X\"]\n", "is not a variable name"),
                                 ("exec:\n  env: [\"\"]\n", "is not a variable name"),
                                 ("exec:\n  environment: [X]\n", "unknown key 'environment' in exec"),
                                 ("exec: [X]\n", "exec must be a mapping"),
                                 ("exec:\n  allow-env: {a: b}\n", "must be a list")] {
            XCTAssertThrowsError(try parse(body), body) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .config, body)
                XCTAssertTrue("\(error)".contains(expected), "\(body): \(error)")
            }
        }
    }

    func testUserFileAddsToTheSystemFile() throws {
        var system = try parse("exec:\n  env: [A]\n  allow-env: [PYTHONPATH]\n")
        system.merge(try parse("exec:\n  env: [B]\n"))
        XCTAssertEqual(system.exec.env, ["A", "B"])
        XCTAssertEqual(system.exec.allowEnv, ["PYTHONPATH"])
    }
}
