import XCTest
@testable import SGCore

/// What the tests of one config section share: parsing a body under `version: 1`, and asserting
/// that bad bodies are refused as configuration errors that name the problem and never repeat a
/// secret written inline.
extension XCTestCase {
    func parseConfig(_ body: String) throws -> Config {
        try ConfigLoader.parse("version: 1\n" + body, file: "/etc/sg/test.yaml", home: "/home/u")
    }

    func assertConfigRefuses(_ cases: [(body: String, expected: String)], neverShowing secret: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        for (body, expected) in cases {
            XCTAssertThrowsError(try parseConfig(body), body, file: file, line: line) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .config, body, file: file, line: line)
                XCTAssertTrue("\(error)".contains(expected), "\(body): \(error)", file: file, line: line)
                XCTAssertFalse("\(error)".contains(secret), "the secret written inline is not repeated", file: file, line: line)
            }
        }
    }
}
