import Foundation
import XCTest
@testable import SGCore
import SGTestSupport

/// The example config the Debian package installs (/usr/share/doc/sg/examples/config.yaml) is
/// what a new user copies first: it must stay a config the current schema accepts.
final class PackagedExampleTests: XCTestCase {
    func testExampleConfigParses() throws {
        let path = TestPaths.packageRoot.appendingPathComponent("packaging/examples/config.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let config = try ConfigLoader.parse(text, file: path, home: "/home/example")
        XCTAssertEqual(try config.defaultProfile().name, "spp")
        XCTAssertNoThrow(try config.secret("git-team"))
        XCTAssertNoThrow(try config.secret("deploy-key"))
    }
}
