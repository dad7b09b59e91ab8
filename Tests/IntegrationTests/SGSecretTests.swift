import Foundation
import SGTestSupport
import XCTest

/// sg-secret against sg-sim: byte-exact values, references, exit codes, summon provider contract.
final class SGSecretTests: XCTestCase {
    var sim: Simulator!
    var env: ToolEnvironment!

    override func setUpWithError() throws {
        sim = try Simulator()
        env = try ToolEnvironment(sim: sim, label: "sgsecret")
    }

    override func tearDown() {
        sim?.stop()
        env = nil
    }

    func secret(_ args: String...) throws -> ToolRun {
        try env.run(["sg-secret"] + args)
    }

    func testALibcurlThatCannotBeLoadedIsOneLineAndExit69() throws {
        let broken = env.home.appendingPathComponent("broken-lib", isDirectory: true)
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        for name in ["libcurl.so.4", "libcurl.so"] {   // the shim falls back to the -dev package's name
            try "not an ELF file".write(to: broken.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        env.extra["LD_LIBRARY_PATH"] = broken.path
        let r = try secret("sg:demo-db")
        XCTAssertEqual(r.status, 69, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertTrue(r.stderrText.hasPrefix("sg-secret: service unavailable: cannot load libcurl.so.4 ("), r.stderrText)
        XCTAssertTrue(r.stderrText.hasSuffix("); install libcurl4\n"), r.stderrText)
    }

    /// A library that loads but lacks a function sg calls (here zlib under libcurl's name) is the
    /// same one line, naming the function (sg_library_load, CSGSys).
    func testALibcurlWithoutAFunctionSgCallsIsOneLineNamingIt() throws {
        let broken = env.home.appendingPathComponent("wrong-lib", isDirectory: true)
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: broken.appendingPathComponent("libcurl.so.4").path,
                                                   withDestinationPath: "/usr/lib/x86_64-linux-gnu/libz.so.1")
        env.extra["LD_LIBRARY_PATH"] = broken.path
        let r = try secret("sg:demo-db")
        XCTAssertEqual(r.status, 69, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)
        XCTAssertEqual(r.stderrText, "sg-secret: service unavailable: cannot load libcurl.so.4 (libcurl.so.4 has no curl_global_init); install libcurl4\n")
    }

    func testEverySeededPasswordIsPrintedByteExact() throws {
        XCTAssertGreaterThan(sim.ready.passwords.count, 5)
        for (name, value) in sim.ready.passwords {
            let r = try secret(name)
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderrText)")
            XCTAssertEqual(r.stdout, Data((value + "\n").utf8), name)
            let n = try secret("-n", "sg:\(name)")
            XCTAssertEqual(n.stdout, Data(value.utf8), "\(name) with -n")
        }
        XCTAssertEqual(try secret("-n", "big-pw").stdout.count, 4096)
        XCTAssertEqual(try secret("-n", "unicode-pw").stdoutText, "pässwörd-秘密-🔑")
        XCTAssertEqual(try secret("-n", "quote-pw").stdoutText, "q\"u'o\\te$HOME `x` $(id)")
    }

    func testAPIKeySecretFieldsAndWholeJSON() throws {
        let whole = try secret("-n", "sg:api-ci#json")
        XCTAssertEqual(whole.status, 0, whole.stderrText)
        let entries = try XCTUnwrap(try JSONSerialization.jsonObject(with: whole.stdout) as? [[String: Any]])
        XCTAssertEqual(entries.count, 2)
        let first = entries[0]
        let clientSecret = try XCTUnwrap(first["ClientSecret"] as? String)
        XCTAssertEqual(try secret("-n", "sg:api-ci#ClientSecret").stdoutText, clientSecret)
        XCTAssertEqual(try secret("-n", "sg:api-ci").stdoutText, clientSecret, "config's field: ClientSecret")
        XCTAssertEqual(try secret("-n", "sg:api-ci#ClientId").stdoutText, first["ClientId"] as? String)
        XCTAssertEqual(first["ClientId"] as? String, "ci-client-1")
        let missing = try secret("sg:api-ci#NoSuchField")
        XCTAssertEqual(missing.status, 67)
        XCTAssertEqual(missing.stdout.count, 0)
        XCTAssertFalse(missing.stderrText.contains(clientSecret))
    }

    func testUnknownSecretAndBadReferencesExit67() throws {
        for args in [["sg:no-such-secret"], ["no-such-secret"], ["sg:"], ["sg:bad name"], ["sg:demo-db#"], ["sg:demo-db#Field"],
                     ["sg:-leading-dash"]] {
            let r = try env.run(["sg-secret"] + args)
            XCTAssertEqual(r.status, 67, "\(args): \(r.stderrText)")
            XCTAssertEqual(r.stdout.count, 0, "\(args)")
            XCTAssertEqual(r.stderrText.split(separator: "\n").count, 1, "\(args): one line: \(r.stderrText)")
            XCTAssertTrue(r.stderrText.hasPrefix("sg-secret: "), r.stderrText)
        }
    }

    func testApplianceDownExits69() throws {
        // A port nobody listens on.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let closed = Int(UInt16(bigEndian: addr.sin_port))
        close(fd)
        try env.writeConfig(git: "  rules: []", name: "down.yaml") {
            $0.replacingOccurrences(of: "127.0.0.1:\(self.sim.ready.port)", with: "127.0.0.1:\(closed)")
        }
        let r = try secret("demo-db")
        XCTAssertEqual(r.status, 69, r.stderrText)
        XCTAssertEqual(r.stdout.count, 0)

        // A2A switched off on the appliance is "unavailable" too.
        try env.writeConfig(git: "  rules: []")
        XCTAssertEqual(try sim.admin("/admin/a2a", json: ["enabled": false]).status, 200)
        let off = try secret("demo-db")
        XCTAssertEqual(off.status, 69, off.stderrText)
        XCTAssertEqual(off.stdout.count, 0)
    }

    func testSummonStreamModeAnswersBase64LinesInOrder() throws {
        let names = ["demo-db", "unicode-pw", "big-pw", "demo-db", "quote-pw"]
        let r = try env.run(["sg-secret"], input: names.joined(separator: "\n") + "\n")
        XCTAssertEqual(r.status, 0, r.stderrText)
        let lines = r.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, names.count + 1)
        XCTAssertEqual(lines.last, "")
        for (name, line) in zip(names, lines) {
            let decoded = try XCTUnwrap(Data(base64Encoded: String(line)), name)
            XCTAssertEqual(decoded, Data(sim.ready.passwords[name]!.utf8), name)
        }
        // One bad id fails the batch (summon then falls back), and nothing is printed.
        let bad = try env.run(["sg-secret"], input: "demo-db\nno-such-secret\n")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stdout.count, 0)
        XCTAssertTrue(bad.stderrText.contains("no-such-secret"), bad.stderrText)
    }

    /// summon's provider contract (summon is not installable here): `provider ID` prints the
    /// value on stdout and exits 0; on failure it exits non-zero with the reason on stderr.
    func testSummonProviderContract() throws {
        let ok = try env.run(["sg-secret", "demo-db"])
        XCTAssertEqual(ok.status, 0)
        XCTAssertEqual(ok.stdoutText.trimmingCharacters(in: .newlines), sim.ready.passwords["demo-db"])
        XCTAssertEqual(ok.stderrText, "")
        let fail = try env.run(["sg-secret", "missing"])
        XCTAssertNotEqual(fail.status, 0)
        XCTAssertEqual(fail.stdout.count, 0)
        XCTAssertFalse(fail.stderrText.isEmpty)
        // The value never reaches argv of anything: sg-secret takes only the id.
        XCTAssertFalse(ok.stderrText.contains(sim.ready.passwords["demo-db"]!))
    }
}
