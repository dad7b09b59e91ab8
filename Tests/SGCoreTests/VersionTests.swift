import Foundation
import XCTest
@testable import SGCore
import SGTestSupport

/// VERSION is the one version (scripts/package records it in the Debian package); Version.swift
/// is generated from it by scripts/set-version and compiled into every tool's `--version`.
final class VersionTests: XCTestCase {
    func testCompiledVersionIsTheVersionFile() throws {
        let file = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
        XCTAssertEqual(SGVersion.number, file.trimmingCharacters(in: .whitespacesAndNewlines),
                       "Sources/SGCore/Version.swift is stale: run scripts/set-version")
    }

    func testVersionLineNamesTheTool() {
        XCTAssertEqual(SGVersion.line("sg-secret"), "sg-secret \(SGVersion.number)")
    }
}
