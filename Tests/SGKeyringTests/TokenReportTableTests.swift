import SGCore
@testable import SGKeyring
import XCTest

/// `sg-token status` prints keyring items and D-Bus text: escaped like every error (issue 13 item 13).
final class TokenReportTableTests: XCTestCase {
    func testControlCharactersFromItemsAreEscapedInTheTable() {
        let row = TokenReport.Row(profile: "spp", kind: "safeguard", user: "alice\u{1B}[2J\u{1B}[31m", endpoint: "https://x\r\nFAKE ROW",
                                  expires: nil, state: .missing, service: "s", account: "a")
        let report = TokenReport(backend: "secret-service", location: "login", reason: "bus said \u{1B}]0;t\u{7}", locked: nil, rows: [row])
        let table = report.table(showBackend: true)
        XCTAssertFalse(table.utf8.contains(0x1B), table.debugDescription)
        XCTAssertFalse(table.utf8.contains(0x07), table.debugDescription)
        XCTAssertEqual(table.utf8.split(separator: 0x0A).count, 3, "keyring line, header, one row: \(table.debugDescription)")
        XCTAssertTrue(table.contains("alice\\x1B[2J\\x1B[31m"), table)
        XCTAssertTrue(table.contains("https://x\\r\\nFAKE ROW"), table)
    }
}
