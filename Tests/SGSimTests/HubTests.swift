import Foundation
import SGTestSupport
import XCTest

/// The A2A event hub driven with curl, as safeguard-bash's listen-for-a2a-event.sh does.
final class HubTests: SimTestCase {
    var tls: [String] { ["-s", "-S", "--cacert", sim.ca, "--key", sim.clientKey, "--cert", sim.clientCert, "--http1.1"] }
    var hubURL: String { "\(sim.baseURL)/service/a2a/signalr" }

    func auth(_ name: String = "rotating-pw") -> [String] { ["-H", "Authorization: A2A \(sim.apiKeys[name]!)"] }

    func negotiate(_ name: String = "rotating-pw") throws -> CurlResult {
        try Curl.run(tls + auth(name) + ["-X", "POST", "-d", "", "\(hubURL)/negotiate?negotiateVersion=1"])
    }

    func encoded(_ token: String) -> String {
        token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        _ = try simulator.admin("/admin/hub", json: ["enabled": true, "stall": false, "numericName": false, "target": "NotifyEventAsync", "pingMs": 15000])
    }

    func testNegotiateGivesATokenThatOnlyWorksURLEncoded() throws {
        let n = try negotiate()
        XCTAssertEqual(n.status, 200, n.text)
        let token = try XCTUnwrap(n.object["connectionToken"] as? String)
        XCTAssertTrue(token.contains("+") && token.contains("/") && token.contains("="), token)
        let transports = (n.object["availableTransports"] as? [[String: Any]] ?? []).compactMap { $0["transport"] as? String }
        XCTAssertEqual(transports, ["ServerSentEvents"])
        // '+' unencoded reads as a space: no such connection.
        let raw = try Curl.run(tls + auth() + ["-H", "Accept: text/event-stream", "\(hubURL)?id=\(token)"])
        XCTAssertEqual(raw.status, 404)
        // Encoded, the stream opens (and curl gives up after its --max-time, exit 28).
        let open = try Curl.run(tls + auth() + ["-N", "--max-time", "2", "-H", "Accept: text/event-stream", "\(hubURL)?id=\(encoded(token))"])
        XCTAssertEqual(open.status, 200)
        XCTAssertEqual(open.exit, 28)
        XCTAssertTrue(open.text.hasPrefix(":"), open.text)
        XCTAssertEqual(open.header("Content-Type"), "text/event-stream")
    }

    func testHubOffUnknownKeysAndNoCertificateAreRefused() throws {
        _ = try simulator.admin("/admin/hub", json: ["enabled": false])
        XCTAssertEqual(try negotiate().status, 404)
        _ = try simulator.admin("/admin/hub", json: ["enabled": true])
        let wrong = try Curl.run(tls + ["-H", "Authorization: A2A not-a-key", "-X", "POST", "-d", "", "\(hubURL)/negotiate?negotiateVersion=1"])
        XCTAssertEqual(wrong.status, 403)
        let noCert = try Curl.run(["-s", "-S", "--cacert", sim.ca, "--http1.1"] + auth() + ["-X", "POST", "-d", "", "\(hubURL)/negotiate?negotiateVersion=1"])
        XCTAssertEqual(noCert.status, 403)
    }

    func testHandshakeThenARotationEventReachesOnlyTheKeysConnection() throws {
        let mine = try XCTUnwrap(try negotiate().object["connectionToken"] as? String)
        let other = try XCTUnwrap(try negotiate("demo-db").object["connectionToken"] as? String)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var byName: [String: CurlResult] = [:]
            func set(_ name: String, _ r: CurlResult?) { lock.lock(); byName[name] = r; lock.unlock() }
        }
        let results = Results()
        let group = DispatchGroup()
        for (name, token) in [("rotating-pw", mine), ("demo-db", other)] {
            group.enter()
            let args = tls + auth(name) + ["-N", "--max-time", "4", "-H", "Accept: text/event-stream", "\(hubURL)?id=\(encoded(token))"]
            DispatchQueue.global().async {
                results.set(name, try? Curl.run(args))
                group.leave()
            }
        }
        // Both streams open before the handshakes (hang guard: generous).
        let deadline = Date(timeIntervalSinceNow: 10)
        while Date() < deadline {
            let state = try simulator.admin("/admin/hub", json: [:])
            if ((try JSONSerialization.jsonObject(with: state.body) as? [String: Any])?["open"] as? Int ?? 0) == 2 { break }
            usleep(50_000)
        }
        for (name, token) in [("rotating-pw", mine), ("demo-db", other)] {
            let h = try Curl.run(tls + auth(name) + ["-X", "POST", "-H", "Content-Type: application/json",
                                                     "--data-binary", "{\"protocol\":\"json\",\"version\":1}\u{1E}", "\(hubURL)?id=\(encoded(token))"])
            XCTAssertEqual(h.status, 200)
        }
        XCTAssertEqual(try simulator.admin("/admin/rotate", json: ["secret": "rotating-pw"]).status, 200)
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        let mineText = try XCTUnwrap(results.byName["rotating-pw"]).text
        let otherText = try XCTUnwrap(results.byName["demo-db"]).text
        XCTAssertTrue(mineText.contains("data: {}\u{1E}"), mineText)
        XCTAssertTrue(mineText.contains("\"target\":\"NotifyEventAsync\""), mineText)
        XCTAssertTrue(mineText.contains("\"Name\":\"AssetAccountPasswordUpdated\""), mineText)
        XCTAssertTrue(otherText.contains("data: {}\u{1E}"), otherText)
        XCTAssertFalse(otherText.contains("AssetAccountPasswordUpdated"), "an event goes only to connections holding the secret's key")
    }
}
