import SGCore
@testable import SGKeyring
import XCTest

/// Inputs the `ark-token` fuzz target crashed on (fuzz/regressions/ark-token), in-process.
final class ArkTokenFuzzRegressionTests: XCTestCase {
    func testEpochsOutsidePythonsDatetimeAreRefusedNotATrap() throws {
        for e in ["1e308", "-1e308", "\"1e308\"", "\"-1e308\"", "99999999999999999999", "253402300800000", "-62135596801000"] {
            let json = #"{"token":"t","expires_in":\#(e)}"#
            XCTAssertThrowsError(try ArkToken.parse(SecretBytes(string: json)), e) { error in
                XCTAssertTrue("\(error)".contains("expires_in"), "\(error)")
            }
        }
        // The largest accepted values still format (sg-token list/status print them).
        for e in ["253402300799000", "-62135596800000", "1e10", "2e13"] {
            let t = try ArkToken.parse(SecretBytes(string: #"{"token":"t","expires_in":\#(e)}"#))
            XCTAssertFalse(ArkDate.format(try XCTUnwrap(t.expiresIn)).isEmpty)
        }
        XCTAssertFalse(ArkDate.format(Instant(timeIntervalSince1970: 1e300)).isEmpty, "format never traps")
    }
}
