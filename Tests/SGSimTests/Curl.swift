import Foundation
import SGTestSupport
import XCTest

/// The curl command line, run as a child process, so the tests drive the sim the way safeguard-bash does.
struct CurlResult {
    let exit: Int32
    let status: Int
    let body: Data
    let headers: String
    let stderr: String

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }

    func header(_ name: String) -> String? {
        for line in headers.components(separatedBy: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

enum Curl {
    static func run(_ args: [String]) throws -> CurlResult {
        let tmp = try TestPaths.makeTempDir("curl")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let bodyFile = tmp.appendingPathComponent("body"), headFile = tmp.appendingPathComponent("head")
        let r = try ToolRunner.run("/usr/bin/curl", ["-o", bodyFile.path, "-D", headFile.path, "-w", "%{http_code}", "--max-time", "20"] + args,
                                   environment: ProcessInfo.processInfo.environment, timeout: 30)
        return CurlResult(exit: r.status, status: Int(r.stdoutText.suffix(3)) ?? 0,
                          body: (try? Data(contentsOf: bodyFile)) ?? Data(),
                          headers: (try? String(contentsOf: headFile, encoding: .utf8)) ?? "",
                          stderr: r.stderrText)
    }

    /// safeguard-bash's A2A options (src/utils/a2a.sh): `-s -S --cacert --key --cert --http1.1`, JSON Accept.
    static func a2a(_ sim: SimReady, key: String?, _ rel: String, cert: Bool = true, rogue: Bool = false,
                    extra: [String] = []) throws -> CurlResult {
        var args = ["-s", "-S", "--cacert", sim.ca]
        if rogue {
            args += ["--key", sim.rogueKey, "--cert", sim.rogueCert]
        } else if cert {
            args += ["--key", sim.clientKey, "--cert", sim.clientCert]
        }
        args += ["--http1.1", "-H", "Accept: application/json"]
        if let key { args += ["-H", "Authorization: A2A \(key)"] }
        return try run(args + extra + ["\(sim.baseURL)/service/a2a/v4/\(rel)"])
    }

    /// A JSON POST without a client certificate.
    static func postJSON(_ url: String, _ sim: SimReady, _ body: Any, extra: [String] = []) throws -> CurlResult {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try run(["-s", "-S", "--cacert", sim.ca, "--http1.1", "-X", "POST", "-H", "Content-Type: application/json",
                        "-H", "Accept: application/json", "--data-binary", String(decoding: data, as: UTF8.self)] + extra + [url])
    }

    static func sh(_ script: String) throws -> String {
        let r = try ToolRunner.run("/bin/sh", ["-c", script], environment: ProcessInfo.processInfo.environment)
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// One simulator per test class.
class SimTestCase: XCTestCase {
    nonisolated(unsafe) static var shared: [String: Simulator] = [:]
    class var simFlags: [String] { [] }

    var simulator: Simulator { SimTestCase.shared[String(describing: type(of: self))]! }

    var sim: SimReady { simulator.ready }

    /// A temporary folder removed after the test.
    func tempDir(_ label: String) throws -> URL {
        let dir = try TestPaths.makeTempDir(label)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    override class func tearDown() {
        let key = String(describing: self)
        SimTestCase.shared.removeValue(forKey: key)?.stop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        let key = String(describing: type(of: self))
        if SimTestCase.shared[key] == nil {
            SimTestCase.shared[key] = try Simulator(flags: Self.simFlags)
        }
        try simulator.post("/admin/clear")
    }
}
