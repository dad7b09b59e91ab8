import XCTest
import SGCore
import SGTestSupport
@testable import SGTransport

/// The transport against a real HTTPS server that asks for client certificates (sg-sim).
final class HTTPClientTests: XCTestCase {
    nonisolated(unsafe) static var sim: Simulator!

    override class func setUp() {
        super.setUp()
        setenv("SWIFT_BACKTRACE", "enable=no", 1)
        sim = try! Simulator()
    }

    override class func tearDown() {
        sim?.stop()
        super.tearDown()
    }

    var sim: Simulator { Self.sim }
    var ready: SimReady { sim.ready }

    override func setUpWithError() throws {
        try sim.post("/admin/clear")
        try sim.post("/admin/reset-log")
    }

    func tls(client: ClientIdentity? = nil, ca: String? = nil, total: Double = 10) -> TLSSettings {
        var t = TLSSettings()
        t.caFile = ca ?? ready.ca
        t.client = client ?? .pem(cert: ready.clientCert, key: ready.clientKey, passphrase: nil)
        t.totalTimeout = total
        t.connectTimeout = 2
        return t
    }

    var appliance: Appliance { Appliance(host: "127.0.0.1", port: ready.port) }

    func client(_ settings: TLSSettings? = nil, appliances: [Appliance]? = nil) throws -> HTTPClient {
        let c = try HTTPClient(appliances: appliances ?? [appliance], tls: settings ?? tls())
        c.retry.baseDelay = 0.05
        return c
    }

    func passwordRequest(_ secret: String = "demo-db") -> HTTPRequest {
        var r = HTTPRequest(.get, "/service/a2a/v4/Credentials?type=Password")
        r.authorization = ("A2A ", SecretBytes(string: ready.apiKeys[secret]!))
        return r
    }

    func assertPassword(_ client: HTTPClient, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try client.send(passwordRequest())
        XCTAssertEqual(r.status, 200, file: file, line: line)
        XCTAssertEqual(try JSONString.decodeLiteral(r.body).unsafeString(), ready.passwords["demo-db"], file: file, line: line)
    }

    func assertError(_ exit: ExitCode, _ body: () throws -> Void, contains: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected exit \(exit.rawValue)", file: file, line: line)
        } catch let e as SGError {
            XCTAssertEqual(e.exitCode, exit, e.message, file: file, line: line)
            if let contains { XCTAssertTrue(e.message.contains(contains), e.message, file: file, line: line) }
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    // MARK: client identities

    func testPEMClientCertificate() throws {
        try assertPassword(try client())
        XCTAssertEqual(try sim.log().last?.cert, "sg-client")
    }

    func testEncryptedPEMKeyWithPassphrase() throws {
        try assertPassword(try client(tls(client: .pem(cert: ready.clientCert, key: ready.clientKeyEncrypted,
                                                         passphrase: .file(ready.clientPassphraseFile)))))
    }

    func testEncryptedPEMKeyWithoutOrWithWrongPassphraseIsAConfigError() throws {
        assertError(.config, { _ = try self.client(self.tls(client: .pem(cert: self.ready.clientCert, key: self.ready.clientKeyEncrypted, passphrase: nil))) }, contains: "encrypted")
        assertError(.config, { _ = try self.client(self.tls(client: .pem(cert: self.ready.clientCert, key: self.ready.clientKeyEncrypted, passphrase: .literal(SecretBytes(string: "wrong"))))) }, contains: "passphrase")
    }

    /// An unencrypted key goes to libcurl unparsed; what libcurl cannot use is still one config error.
    func testUnusableKeyOrCertificateFilesAreConfigErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sg-keys-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            return path
        }
        let garbled = try file("garbled.key", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n")
        let c = try client(tls(client: .pem(cert: ready.clientCert, key: garbled, passphrase: nil)))
        assertError(.config, { _ = try c.send(self.passwordRequest()) }, contains: "127.0.0.1")
        let plain = try file("plain.key", "just text\n")
        assertError(.config, { _ = try self.client(self.tls(client: .pem(cert: self.ready.clientCert, key: plain, passphrase: nil))) },
                    contains: "no PEM PRIVATE KEY block")
        let openssh = try file("openssh.key", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
        assertError(.config, { _ = try self.client(self.tls(client: .pem(cert: self.ready.clientCert, key: openssh, passphrase: nil))) },
                    contains: "no PEM PRIVATE KEY block")
        let notCert = try file("cert.pem", "hello\n")
        assertError(.config, { _ = try self.client(self.tls(client: .pem(cert: notCert, key: self.ready.clientKey, passphrase: nil))) },
                    contains: "no PEM CERTIFICATE block")
    }

    func testPKCS12ModernAndLegacy() throws {
        let pass = SecretSource.literal(SecretBytes(string: ready.clientP12Passphrase))
        try assertPassword(try client(tls(client: .pkcs12(path: ready.clientP12, passphrase: pass))))
        try assertPassword(try client(tls(client: .pkcs12(path: ready.clientP12Legacy, passphrase: pass))))
        assertError(.config, { _ = try self.client(self.tls(client: .pkcs12(path: self.ready.clientP12, passphrase: .literal(SecretBytes(string: "nope"))))) }, contains: "wrong passphrase")
    }

    func testWrongCAIsUntrusted() throws {
        let c = try client(tls(ca: ready.otherCA))
        assertError(.config, { _ = try c.send(self.passwordRequest()) }, contains: "not trusted")
    }

    func testNoClientCertificateIsRefusedByTheAppliance() throws {
        var t = tls()
        t.client = nil
        let r = try client(t).send(passwordRequest())
        XCTAssertEqual(r.status, 403)
        XCTAssertEqual(try sim.log().last?.cert, "none")
    }

    func testUntrustedClientCertificateIsDenied() throws {
        let c = try client(tls(client: .pem(cert: ready.rogueCert, key: ready.rogueKey, passphrase: nil)))
        assertError(.noPermission, { _ = try c.send(self.passwordRequest()) }, contains: "rejected")
        assertError(.noPermission, { _ = try c.send(self.passwordRequest()) }, contains: "the client certificate (/")
    }

    /// Under TLS 1.3 a rejected certificate often shows as a broken pipe or a reset instead of the
    /// alert (sg-sim's certAbort fault makes that certain): retried once, then 77 with the hint, for
    /// any method; not 69 after retries, not 76.
    func testCertificateRejectedWithAnAbruptCloseIsDeniedAfterOneRetry() throws {
        let rogue = tls(client: .pem(cert: ready.rogueCert, key: ready.rogueKey, passphrase: nil))
        var post = HTTPRequest(.post, "/service/core/v4/Token/LoginResponse")
        post.setJSONBody(SecretBytes(string: "{}"))
        for request in [passwordRequest(), post] {
            try sim.post("/admin/clear")
            try sim.post("/admin/reset-log")
            try sim.admin("/admin/fault", json: ["certAbort": true, "count": 2])
            let c = try client(rogue)
            assertError(.noPermission, { _ = try c.send(request) }, contains: "probably rejected")
            XCTAssertEqual(try sim.stats().connections, 2, "\(request.method): tried once more, no further")
            XCTAssertEqual(try sim.log().count, 0, "no request was served")
        }
        try sim.post("/admin/clear")
        try sim.admin("/admin/fault", json: ["certAbort": true, "count": 2])
        assertError(.noPermission, { _ = try self.client(rogue).send(self.passwordRequest()) }, contains: "tls-max: \"1.2\"")
    }

    /// One abrupt close is retried, even for a POST, on the next appliance; its answer stands.
    func testOneAbruptCloseIsRetriedOnTheNextAppliance() throws {
        try sim.admin("/admin/fault", json: ["certAbort": true, "count": 1])
        let c = try client(tls(client: .pem(cert: ready.rogueCert, key: ready.rogueKey, passphrase: nil)),
                           appliances: [appliance, Appliance(host: "localhost", port: ready.port)])
        var post = HTTPRequest(.post, "/service/core/v4/Token/LoginResponse")
        post.setJSONBody(SecretBytes(string: "{}"))
        assertError(.noPermission, { _ = try c.send(post) }, contains: "the client certificate (/")
        XCTAssertEqual(try sim.stats().connections, 2)
    }

    func testTrustedCertificateIsServedWhileTheFaultIsQueued() throws {
        try sim.admin("/admin/fault", json: ["certAbort": true, "count": 1])
        try assertPassword(try client())
    }

    // MARK: TLS versions

    /// A server that offers only TLS 1.1 was "unreachable" (69) after retries: a version mismatch is
    /// configuration (78), at once, and the line says what the server offers.
    func testServerWithOnlyTLS11IsAConfigErrorSayingWhatItOffers() throws {
        let server = try OpenSSLServer(cert: ready.serverCert, key: try XCTUnwrap(ready.serverKey), flags: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
        defer { server.stop() }
        let old = Appliance(host: "127.0.0.1", port: server.port)
        assertError(.config, { _ = try self.client(appliances: [old]).send(self.passwordRequest()) }, contains: "offers TLS 1.1;")
        var capped = tls()
        capped.tlsMax = .v1_2
        assertError(.config, { _ = try self.client(capped, appliances: [old]).send(self.passwordRequest()) }, contains: "offers TLS 1.1;")
    }

    func testTLS13OnlyServerWithTLSMax12SaysToRemoveTheCap() throws {
        let server = try OpenSSLServer(cert: ready.serverCert, key: try XCTUnwrap(ready.serverKey), flags: ["-tls1_3"])
        defer { server.stop() }
        var capped = tls()
        capped.tlsMax = .v1_2
        let c = try client(capped, appliances: [Appliance(host: "127.0.0.1", port: server.port)])
        assertError(.config, { _ = try c.send(self.passwordRequest()) }, contains: "offers TLS 1.3; sg speaks TLS 1.2 (tls-max: \"1.2\")")
        assertError(.config, { _ = try c.send(self.passwordRequest()) }, contains: "remove tls-max")
    }

    // MARK: pins and verification

    func serverPin() throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "openssl x509 -in '\(ready.serverCert)' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return "sha256//" + String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testPinningAcceptsTheRightKeyAndRefusesOthers() throws {
        var t = tls()
        t.pins = [try serverPin()]
        try assertPassword(try client(t))
        t.pins = ["sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
        let c = try client(t)
        assertError(.config, { _ = try c.send(self.passwordRequest()) }, contains: "pins")
    }

    func testInsecureSkipsVerification() throws {
        var t = tls(ca: ready.otherCA)
        t.insecure = true
        try assertPassword(try client(t))
    }

    // MARK: timeouts, retries, failover

    func testTotalTimeout() throws {
        try sim.admin("/admin/fault", json: ["delayMs": 4000, "count": 1])
        let c = try client(tls(total: 1))
        let start = Monotonic.now
        assertError(.tempFailure, { _ = try c.send(self.passwordRequest()) })
        XCTAssertLessThan(Monotonic.now - start, 3.5, "must not wait for the slow reply")
    }

    func testServiceUnavailableWithRetryAfterIsRetried() throws {
        try sim.admin("/admin/fault", json: ["status": 503, "count": 1, "retryAfter": 1])
        try assertPassword(try client())
        XCTAssertEqual(try sim.log().map(\.status), [503, 200])
    }

    func testTooManyRequestsIsRetriedEvenForPost() throws {
        try sim.admin("/admin/fault", json: ["status": 429, "count": 2, "path": "/service/core"])
        var r = HTTPRequest(.post, "/service/core/v4/Token/LoginResponse")
        r.setJSONBody(SecretBytes(string: "{\"StsAccessToken\":\"bogus\"}"))
        let response = try client().send(r)
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(try sim.log().map(\.status), [429, 429, 400])
    }

    func testBadGatewayIsNotRetriedForPost() throws {
        try sim.admin("/admin/fault", json: ["status": 502, "count": 1])
        var r = HTTPRequest(.post, "/service/core/v4/Token/LoginResponse")
        r.setJSONBody(SecretBytes(string: "{}"))
        XCTAssertEqual(try client().send(r).status, 502)
        XCTAssertEqual(try sim.log().count, 1)
    }

    func testBadGatewayIsRetriedForGet() throws {
        try sim.admin("/admin/fault", json: ["status": 502, "count": 1])
        try assertPassword(try client())
    }

    func testRetryAfterLongerThanTheDeadlineGivesUpAtOnce() throws {
        try sim.admin("/admin/fault", json: ["status": 503, "count": 5, "retryAfter": 60])
        let c = try client(tls(total: 5))
        let start = Monotonic.now
        assertError(.tempFailure, { _ = try c.send(self.passwordRequest()) }, contains: "wait 60")
        XCTAssertLessThan(Monotonic.now - start, 3)
    }

    /// Retry-After values beyond Int's range trapped converting to Int (SIGILL); any wait longer
    /// than the deadline is "try later" (75) at once, whatever its spelling.
    func testRetryAfterBeyondAnyRangeIsTryLaterNotACrash() throws {
        for value in ["1e19", "99999999999999999999999999", "1e400", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            try sim.post("/admin/clear")
            try sim.admin("/admin/fault", json: ["status": 503, "count": 5, "retryAfter": value])
            let c = try client(tls(total: 5))
            let start = Monotonic.now
            assertError(.tempFailure, { _ = try c.send(self.passwordRequest()) }, contains: "asked to wait")
            XCTAssertLessThan(Monotonic.now - start, 3, "\(value): gave up at once")
        }
    }

    /// Values that are no delay at all (`inf`, `nan`, negative, garbage) are ignored, as RFC 9110
    /// says: a 429 then backs off as without one and ends as "try later"; a 503 is a plain 503.
    func testUnusableRetryAfterIsIgnored() throws {
        for value in ["inf", "nan", "-5", "0x10", "soon"] {
            try sim.post("/admin/clear")
            try sim.admin("/admin/fault", json: ["status": 429, "count": 10, "retryAfter": value])
            let c = try client(tls(total: 5))
            assertError(.tempFailure, { _ = try c.send(self.passwordRequest()) }, contains: "429")
        }
        try sim.post("/admin/clear")
        try sim.admin("/admin/fault", json: ["status": 503, "count": 1, "retryAfter": "inf"])
        try assertPassword(try client())
    }

    /// An HTTP-date is a Retry-After too (one in the past means "now"): a 503 with it is retried
    /// even for a POST, as with delay-seconds.
    func testRetryAfterAsAnHTTPDateIsHonoured() throws {
        try sim.admin("/admin/fault", json: ["status": 503, "count": 1, "retryAfter": "Sun, 06 Nov 1994 08:49:37 GMT"])
        var r = HTTPRequest(.post, "/service/core/v4/Token/LoginResponse")
        r.setJSONBody(SecretBytes(string: "{\"StsAccessToken\":\"bogus\"}"))
        XCTAssertEqual(try client().send(r).status, 400)
        XCTAssertEqual(try sim.log().map(\.status), [503, 400])
    }

    func testHeaderNumbersAreBounded() {
        let now = 1_700_000_000.0
        XCTAssertEqual(HeaderNumber.retryAfter("120", now: now), 120)
        XCTAssertEqual(HeaderNumber.retryAfter(" 2.5 ", now: now), 2.5)
        XCTAssertEqual(HeaderNumber.retryAfter("1e19", now: now), HeaderNumber.maxDelay)
        XCTAssertEqual(HeaderNumber.retryAfter("1" + String(repeating: "0", count: 400), now: now), HeaderNumber.maxDelay)
        for bad in ["", "inf", "Infinity", "nan", "-1", "0x10", "1 2", "1e", "e5", "+5", "٣"] {
            XCTAssertNil(HeaderNumber.retryAfter(bad, now: now), bad)
        }
        XCTAssertEqual(HeaderNumber.httpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HeaderNumber.httpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HeaderNumber.httpDate("Sun Nov  6 08:49:37 1994"), 784_111_777)
        XCTAssertNil(HeaderNumber.httpDate("Sun, 36 Nov 1994 08:49:37 GMT"))
        XCTAssertNil(HeaderNumber.httpDate("Sun, 06 Nov 1994 08:49 GMT"))
        XCTAssertEqual(HeaderNumber.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: now), 0)
        XCTAssertEqual(HeaderNumber.decimal("-1e30", limit: 10), -10)
        XCTAssertEqual(Double.infinity.clampedMilliseconds(), 1 << 40)
        XCTAssertEqual(Double.nan.clampedMilliseconds(), 1)
        XCTAssertEqual(1e300.clampedMilliseconds(), 1 << 40)
        XCTAssertEqual(0.0015.clampedMilliseconds(), 2)
        XCTAssertEqual(fmt(1e19), "many")
        XCTAssertEqual(fmt(.infinity), "many")
        XCTAssertEqual(fmt(2.25), "2.3")
    }

    func testConnectionResetMidResponseIsRetriedForGet() throws {
        try sim.admin("/admin/fault", json: ["reset": true, "count": 1])
        try assertPassword(try client())
    }

    func testFailoverToTheSecondAppliance() throws {
        let dead = Appliance(host: "127.0.0.1", port: try closedPort())
        try assertPassword(try client(appliances: [dead, appliance]))
    }

    func testEveryApplianceDownIsUnreachable() throws {
        let c = try client(appliances: [Appliance(host: "127.0.0.1", port: try closedPort())])
        assertError(.unavailable, { _ = try c.send(self.passwordRequest()) }, contains: "unreachable")
    }

    // MARK: connection reuse

    func testOneConnectionForManySequentialRequests() throws {
        let c = try client()
        for _ in 0..<10 { try assertPassword(c) }
        XCTAssertEqual(try sim.stats().connections, 1)
        XCTAssertEqual(Set(try sim.log().map(\.conn)).count, 1)
    }

    func testParallelRequestsStayWithinThePool() throws {
        var t = tls()
        t.poolSize = 3
        let c = try client(t)
        let results = c.sendAll(Array(repeating: passwordRequest(), count: 12))
        XCTAssertEqual(results.filter { (try? $0.get().status) == 200 }.count, 12)
        let conns = try sim.stats().connections
        XCTAssertGreaterThanOrEqual(conns, 1)
        XCTAssertLessThanOrEqual(conns, 3)
    }

    /// One client used from many threads at once: every request answers, the pool's handles are
    /// shared, and the appliance that answered (kept under a mutex) is where the next one starts.
    func testOneClientFromManyThreads() throws {
        var t = tls()
        t.poolSize = 3
        let dead = Appliance(host: "127.0.0.1", port: try closedPort())
        let c = try client(t, appliances: [dead, appliance])
        let request = passwordRequest()
        let answered = parallelMap(count: 48, width: 12) { _ in (try? c.send(request).status) == 200 }
        XCTAssertEqual(answered.filter { $0 }.count, 48)
        XCTAssertLessThanOrEqual(try sim.stats().connections, 3)
    }

    /// A loopback port nothing listens on.
    func closedPort() throws -> Int { LoopbackPort.unused() }
}
