import XCTest
@testable import SGCore

/// Times shown to people carry their UTC offset (issue 19: "token cached until 2026-12-06T23:40:00"
/// was wrong by hours for a reader in another zone, or in a cron mail).
final class InstantDisplayTests: XCTestCase {
    override func tearDown() {
        unsetenv("TZ")
        tzset()
    }

    func testLocalDisplayNamesTheOffset() {
        setenv("TZ", "UTC0", 1)
        tzset()
        XCTAssertEqual(Instant(timeIntervalSince1970: 0).localDisplay, "1970-01-01 00:00:00 +0000")
        setenv("TZ", "EST5", 1)
        tzset()
        XCTAssertEqual(Instant(timeIntervalSince1970: 1_800_000_000.9).localDisplay, "2027-01-15 03:00:00 -0500")
    }

    /// Credential protocols (AWS Expiration, Kubernetes expirationTimestamp) read RFC 3339 in UTC,
    /// whatever the local zone; a fraction is dropped, never rounded up past the real expiry.
    func testRFC3339IsUTCWholeSecondsWhateverTheZone() {
        setenv("TZ", "EST5", 1)
        tzset()
        XCTAssertEqual(Instant(timeIntervalSince1970: 1_800_000_000.9).rfc3339, "2027-01-15T08:00:00Z")
        XCTAssertEqual(Instant(timeIntervalSince1970: 0).rfc3339, "1970-01-01T00:00:00Z")
        XCTAssertEqual(Instant(timeIntervalSince1970: 951_782_400).rfc3339, "2000-02-29T00:00:00Z")
    }
}
