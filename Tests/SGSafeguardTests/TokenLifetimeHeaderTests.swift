@testable import SGSafeguard
import XCTest

/// `X-TokenLifetimeRemaining` comes from the network: `Double("1e19")` turned into `Int` trapped.
final class TokenLifetimeHeaderTests: XCTestCase {
    func testMinutesAreBoundedWhateverTheHeaderSays() {
        XCTAssertEqual(RSTSClient.minutes("59"), 59)
        XCTAssertEqual(RSTSClient.minutes(" 59.9 , 12"), 59)
        XCTAssertEqual(RSTSClient.minutes("-3"), -3, "an expired token stays expired")
        XCTAssertEqual(RSTSClient.minutes("1e19"), 525_600, "a year at most")
        XCTAssertEqual(RSTSClient.minutes("-1e19"), -525_600)
        XCTAssertEqual(RSTSClient.minutes(String(repeating: "9", count: 400)), 525_600)
        for bad in ["inf", "nan", "", "0x10", "soon"] {
            XCTAssertNil(RSTSClient.minutes(bad), bad)
        }
        XCTAssertNil(RSTSClient.minutes(nil))
    }
}
