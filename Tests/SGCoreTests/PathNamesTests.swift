import XCTest
@testable import SGCore

/// The one parent-path helper, which replaced five that disagreed on bare names ("", "." or "/").
final class PathNamesTests: XCTestCase {
    func testParentFolderByTheNameAlone() {
        XCTAssertEqual(parentFolder(of: "/home/me/.ssh/id_ed25519"), "/home/me/.ssh")
        XCTAssertEqual(parentFolder(of: "/home/me/.ssh/"), "/home/me")
        XCTAssertEqual(parentFolder(of: "/home//me"), "/home")
        XCTAssertEqual(parentFolder(of: "/etc"), "/")
        XCTAssertEqual(parentFolder(of: "/"), "/")
        XCTAssertEqual(parentFolder(of: "config.yaml"), ".")
        XCTAssertEqual(parentFolder(of: "keyring/tokens"), "keyring")
        XCTAssertEqual(parentFolder(of: "/a/b/.."), "/a/b", "`..` is left to the kernel")
    }

    func testWalkingUpFromAnAbsolutePathEndsAtTheRoot() {
        var folder = "/usr/local/bin/sg-token"
        var seen: [String] = []
        while folder != "/" { folder = parentFolder(of: folder); seen.append(folder) }
        XCTAssertEqual(seen, ["/usr/local/bin", "/usr/local", "/usr", "/"])
    }

    func testLastPathComponent() {
        XCTAssertEqual(lastPathComponent(of: "/usr/bin/sg-token"), "sg-token")
        XCTAssertEqual(lastPathComponent(of: "sg-token"), "sg-token")
        XCTAssertEqual(lastPathComponent(of: "./bin/sg-exec/"), "sg-exec")
    }
}
