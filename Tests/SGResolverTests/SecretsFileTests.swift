import Foundation
import SGCore
@testable import SGResolver
import SGTestSupport
import XCTest

/// summon's secrets.yml, with examples from summon's own README (peers.md §4.1).
final class SecretsFileTests: XCTestCase {
    private func ref(_ s: String) throws -> SecretsFileEntry.Value { .reference(try SecretReference(parsing: s)) }

    func testSummonReadmeExampleWithSubstitution() throws {
        let text = """
        AWS_ACCESS_KEY_ID: !var aws-$environment-access-key-id
        AWS_SECRET_ACCESS_KEY: !var aws-$environment-secret-access-key
        AWS_REGION: us-east-1
        SSL_CERT: !var:file ssl-certs-private
        """
        let e = try SecretsFile.parse(text, defines: ["environment": "prod"])
        XCTAssertEqual(e.map(\.name), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "SSL_CERT"])
        XCTAssertEqual(e[0].value, try ref("sg:aws-prod-access-key-id"))
        XCTAssertEqual(e[2].value, .literal("us-east-1"))
        XCTAssertFalse(e[2].asFile)
        XCTAssertEqual(e[3].value, try ref("sg:ssl-certs-private"))
        XCTAssertTrue(e[3].asFile)
    }

    func testSectionsMergeCommonAndDefault() throws {
        let text = """
        common:
          DB_USER: db-user
          DB_NAME: db-name
          DB_HOST: db.myorg.com
        staging:
          DB_PASS: !var staging-db-password
        production:
          DB_PASS: !var production-db-password
          DB_HOST: prod.myorg.com
        """
        let e = try SecretsFile.parse(text, section: "production")
        let byName = Dictionary(uniqueKeysWithValues: e.map { ($0.name, $0.value) })
        XCTAssertEqual(byName["DB_USER"], .literal("db-user"))
        XCTAssertEqual(byName["DB_HOST"], .literal("prod.myorg.com"), "the section wins over common")
        XCTAssertEqual(byName["DB_PASS"], try ref("sg:production-db-password"))
        let aliased = try SecretsFile.parse(text.replacingOccurrences(of: "common:", with: "default:"), section: "staging")
        XCTAssertEqual(aliased.map(\.name).sorted(), ["DB_HOST", "DB_NAME", "DB_PASS", "DB_USER"])
        XCTAssertThrowsError(try SecretsFile.parse(text, section: "qa")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .usage)
            XCTAssertTrue("\(e)".contains("production"), "names the sections there are")
        }
        XCTAssertThrowsError(try SecretsFile.parse(text), "sections without --section are refused")
    }

    func testCombinedTagsAndDefault() throws {
        let text = """
        DB_USER: !var:default='admin':file db-user
        GREETING: !str:default='hi%20there' ""
        COLON: !var:default='a:b' x
        PLAIN_FILE: !file |
          line one
          line two
        LAST: x
        """
        let e = try SecretsFile.parse(text)
        XCTAssertEqual(e[0].value, try ref("sg:db-user"))
        XCTAssertTrue(e[0].asFile)
        XCTAssertEqual(e[0].defaultValue, "admin")
        XCTAssertEqual(e[1].value, .literal(""))
        XCTAssertEqual(e[1].defaultValue, "hi there")
        XCTAssertEqual(e[2].defaultValue, "a:b")
        XCTAssertEqual(e[3].value, .literal("line one\nline two\n"))
        XCTAssertTrue(e[3].asFile)
    }

    func testReferencesMayBeFullSgReferences() throws {
        let e = try SecretsFile.parse("A: !var sg:api-ci#ClientId\nB: !var sg:token/sim\n")
        XCTAssertEqual(e[0].value, .reference(.named("api-ci", field: "ClientId")))
        XCTAssertEqual(e[1].value, .reference(.token(profile: "sim")))
    }

    func testSubstitutionDollarDollarAndUndeclared() throws {
        XCTAssertEqual(try SecretsFile.substitute("a$$b", defines: [:]), "a$b")
        XCTAssertEqual(try SecretsFile.substitute("$x-${y}z", defines: ["x": "1", "y": "2"]), "1-2z")
        XCTAssertEqual(try SecretsFile.substitute("cost: 5$", defines: [:]), "cost: 5$")
        XCTAssertThrowsError(try SecretsFile.parse("A: !var db-$nope\n", file: "s.yml")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .usage)
            XCTAssertTrue("\(e)".contains("s.yml:1"), "\(e)")
            XCTAssertTrue("\(e)".contains("-D nope="), "\(e)")
        }
        let e = try SecretsFile.parse("PRICE: !str '$$5'\n")
        XCTAssertEqual(e[0].value, .literal("$5"))
    }

    func testErrorsNameFileAndLine() throws {
        XCTAssertThrowsError(try SecretsFile.parse("A: ok\nB: !bogus x\n", file: "s.yml")) { e in
            XCTAssertTrue("\(e)".contains("s.yml:2"), "\(e)")
            XCTAssertTrue("\(e)".contains("!bogus"), "\(e)")
        }
        XCTAssertThrowsError(try SecretsFile.parse("A: !var 'bad name/with/slashes'\n")) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .unknownSecret)
        }
        XCTAssertThrowsError(try SecretsFile.parse("- a\n- b\n"))
        XCTAssertThrowsError(try SecretsFile.parse("A: [1, 2]\n"))
        XCTAssertEqual(try SecretsFile.parse("").count, 0)
        XCTAssertEqual(try SecretsFile.parse("PORT: 5432\nEMPTY:\n").map(\.value), [.literal("5432"), .literal("")])
    }

    /// Limits and file checks as for config, with secrets.yml's exit codes: 65 for what is in it
    /// (too deep, too large), 78 for where it is (a folder others can write to).
    func testHostileOrUnsafeSecretsFilesAreRefused() throws {
        let dir = try TestPaths.makeTempDir("secrets-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let deep = try write("deep.yml", "A: " + String(repeating: "[", count: 40_000) + String(repeating: "]", count: 40_000) + "\n")
        XCTAssertThrowsError(try SecretsFile.load(deep)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .dataError)
            XCTAssertEqual((e as? SGError)?.message, "malformed input: \(deep):1: nested deeper than 64 levels")
        }
        let big = try write("big.yml", "A: " + String(repeating: "x", count: YAML.maxInputBytes) + "\n")
        XCTAssertThrowsError(try SecretsFile.load(big)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .dataError)
            XCTAssertEqual((e as? SGError)?.message, "malformed input: \(big) is larger than 1 MiB, the most sg reads from it")
        }
        let open = dir.appendingPathComponent("open").path
        XCTAssertEqual(mkdir(open, 0o777), 0)
        chmod(open, 0o777)
        let unsafe = try write("open/s.yml", "A: !var db\n")
        XCTAssertThrowsError(try SecretsFile.load(unsafe)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .config)
            XCTAssertTrue((e as? SGError)?.message.contains("chmod go-w \(open)") ?? false, "\(e)")
        }
        XCTAssertThrowsError(try SecretsFile.load(dir.appendingPathComponent("missing.yml").path)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .usage)
        }
    }
}
