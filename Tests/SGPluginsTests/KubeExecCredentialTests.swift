import SGCore
@testable import SGPlugins
import XCTest

/// kubectl's ExecCredential: the apiVersion kubectl asks for, the JSON, the RFC 3339 expiry.
final class KubeExecCredentialTests: XCTestCase {
    func testAnswersInTheVersionKubectlNames() throws {
        for v in ["v1alpha1", "v1beta1", "v1"] {
            let info = #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/\#(v)","spec":{"interactive":false}}"#
            XCTAssertEqual(try KubeExecCredential.apiVersion(execInfo: info), "client.authentication.k8s.io/\(v)")
        }
    }

    func testWithoutExecInfoAnswersV1beta1() throws {
        XCTAssertEqual(try KubeExecCredential.apiVersion(execInfo: nil), "client.authentication.k8s.io/v1beta1")
        XCTAssertEqual(try KubeExecCredential.apiVersion(execInfo: ""), "client.authentication.k8s.io/v1beta1")
    }

    func testUnknownOrMalformedExecInfoIsRefusedWithExit65() {
        for info in [#"{"apiVersion":"client.authentication.k8s.io/v2"}"#, #"{"apiVersion":"example.com/v1beta1"}"#,
                     #"{"kind":"ExecCredential"}"#, "not json", "[1]", #"{"apiVersion":7}"#] {
            XCTAssertThrowsError(try KubeExecCredential.apiVersion(execInfo: info), info) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .dataError, info)
            }
        }
    }

    func testEncodesTokenAndExpiry() throws {
        let c = KubeExecCredential(apiVersion: "client.authentication.k8s.io/v1beta1", token: SecretBytes(string: "tok\"en"), expiresAt: 1_796_000_000.7)
        XCTAssertEqual(try c.encoded().unsafeString(),
                       #"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok\"en","expirationTimestamp":"2026-11-30T00:53:20Z"}}"# + "\n")
        let open = KubeExecCredential(apiVersion: "client.authentication.k8s.io/v1", token: SecretBytes(string: "t"), expiresAt: nil)
        XCTAssertFalse(try open.encoded().unsafeString().contains("expirationTimestamp"))
    }

    func testRFC3339IsUTCWithZ() {
        XCTAssertEqual(KubeExecCredential.timestamp(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(KubeExecCredential.timestamp(253_402_300_799), "9999-12-31T23:59:59Z")
        XCTAssertNil(KubeExecCredential.timestamp(.infinity))
        XCTAssertNil(KubeExecCredential.timestamp(-1))
        XCTAssertNil(KubeExecCredential.timestamp(1e300))
    }

    func testATokenThatCannotBeAHeaderIsRefused() {
        for bad in [[UInt8](), Array("a\nb".utf8), Array("a\rb".utf8), [0x61, 0x00], [0xFF]] {
            let c = KubeExecCredential(apiVersion: KubeExecCredential.fallbackVersion, token: SecretBytes(bytes: bad), expiresAt: nil)
            XCTAssertThrowsError(try c.encoded(), "\(bad)")
        }
    }
}
