#if canImport(XCTest)
// XCTest exists only for test builds: `swift build -c release` also builds this support target.
import Foundation
import SGCore
import XCTest

/// One simulator per test class, cleared of faults before each test.
open class SimCase: XCTestCase {
    nonisolated(unsafe) static var sims: [String: Simulator] = [:]
    nonisolated(unsafe) static var counter = 0

    public var simulator: Simulator { SimCase.sims[String(describing: type(of: self))]! }
    public var ready: SimReady { simulator.ready }

    override open class func tearDown() {
        SimCase.sims.removeValue(forKey: String(describing: self))?.stop()
        super.tearDown()
    }

    override open func setUpWithError() throws {
        let key = String(describing: type(of: self))
        if SimCase.sims[key] == nil { SimCase.sims[key] = try Simulator() }
        try simulator.post("/admin/clear")
        try simulator.post("/admin/reset-log")
        try simulator.admin("/admin/a2a", json: ["enabled": true])
    }

    /// The sim's own config.yaml, parsed by the real loader.
    public func config() throws -> Config { try ConfigLoader.loadFile(ready.config) }

    public func safeguardProfile() throws -> SafeguardProfile {
        guard case .safeguard(let p) = try config().profile("sim") else { throw SGError.config("sim profile is not safeguard") }
        return p
    }

    public func identityProfile() throws -> IdentityProfile {
        guard case .identity(let p) = try config().profile("sim-ark") else { throw SGError.config("sim-ark profile is not identity") }
        return p
    }

    /// Puts `value` in a fresh environment variable and returns a source reading it.
    public func envSource(_ value: String) -> SecretSource {
        SimCase.counter += 1
        let name = "SGT_\(getpid())_\(SimCase.counter)"
        setenv(name, value, 1)
        return .env(name)
    }

    /// Asserts that `body` throws an `SGError` with `code`, and returns it.
    @discardableResult
    public func assertSGError<T>(_ code: ExitCode, _ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> SGError? {
        do {
            _ = try body()
            XCTFail("expected an error with exit code \(code.rawValue)", file: file, line: line)
            return nil
        } catch let e as SGError {
            XCTAssertEqual(e.exitCode, code, e.message, file: file, line: line)
            return e
        } catch {
            XCTFail("not an SGError: \(error)", file: file, line: line)
            return nil
        }
    }
}

/// A prompter that answers from a script, as a person at the terminal would.
public final class ScriptedPrompt: Prompter, @unchecked Sendable {
    public var secrets: [String]
    public var lines: [String]
    public var asked: [String] = []
    /// Lines shown with `say` (MFA hints, the IdP URL).
    public var said: [String] = []
    /// Runs at each idle step of a read that waits on two things (the person's other device); a
    /// line it returns is what the person then types.
    public var whileWaiting: (() throws -> String?)?
    public init(secrets: [String] = [], lines: [String] = []) {
        self.secrets = secrets
        self.lines = lines
    }
    public var isInteractive: Bool { true }
    public func readSecret(_ prompt: String) throws -> SecretBytes {
        asked.append(prompt)
        guard !secrets.isEmpty else { throw SGError.usage("script ran out of secrets at: \(prompt)") }
        return SecretBytes(string: secrets.removeFirst())
    }
    public func readLine(_ prompt: String) throws -> String {
        asked.append(prompt)
        guard !lines.isEmpty else { throw SGError.usage("script ran out of lines at: \(prompt)") }
        return lines.removeFirst()
    }
    public func say(_ text: String) { said.append(text) }
    /// An empty scripted secret types nothing: the wait then ends only when `idle` says so.
    public func readSecret(_ prompt: String, every interval: Double, idle: () throws -> Bool) throws -> SecretBytes? {
        guard secrets.first == "" else { return try readSecret(prompt) }
        asked.append(prompt)
        secrets.removeFirst()
        while true {
            if let typed = try whileWaiting?() { return SecretBytes(string: typed) }
            if try !idle() { return nil }
            usleep(UInt32(interval * 1_000_000))
        }
    }
}
#endif
