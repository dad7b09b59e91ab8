import XCTest
import SystemPackage
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

    /// The same answer as swift-system's own `removingLastComponent()` ("." for its empty path),
    /// on the names where a hand-written parent could go wrong.
    func testParentFolderAgreesWithFilePath() {
        let names = ["/", "//", "///a", "/a", "/a/", "/a//b", "/a/b/", "/a/b//", "a", "a/", "a//b", "a/b/c",
                     ".", "./", "./a", "..", "../a", "/a/./b", "/a/b/..", "~/x", "/é/ü", " a/b ", "a b/c d"]
        for name in names {
            let expected = FilePath(name).removingLastComponent().string
            XCTAssertEqual(parentFolder(of: name), expected.isEmpty ? "." : expected, "parent of \(name)")
        }
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
