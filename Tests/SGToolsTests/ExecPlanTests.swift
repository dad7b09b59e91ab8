import SGCore
@testable import SGTools
import XCTest

/// Which variables sg-exec resolves and which it refuses, before anything is fetched.
final class ExecPlanTests: XCTestCase {
    func names(_ assignments: [String], envAll: Bool = false, optedIn: Set<String> = [],
               environment: [String: String]) throws -> [String] {
        var o = ExecOptions()
        o.command = ["/bin/true"]
        o.assignments = assignments
        o.envAll = envAll
        return try ExecPlan.collect(o, environment: environment, dropped: ["SG_KEYRING_PASSPHRASE"], optedIn: optedIn).map(\.name)
    }

    let env = ["TITLE": "sg:demo-db", "PGPASSWORD": "sg:demo-db", "PLAIN": "hello", "SG_KEYRING_PASSPHRASE": "sg:x"]

    func testOnlyNamedInheritedReferencesAreResolved() throws {
        XCTAssertEqual(try names([], environment: env), [])
        XCTAssertEqual(try names(["PGPASSWORD", "PLAIN"], environment: env), ["PGPASSWORD"], "PLAIN is no reference: untouched")
        XCTAssertEqual(try names([], optedIn: ["PGPASSWORD", "NOT_SET"], environment: env), ["PGPASSWORD"])
        XCTAssertEqual(try names([], envAll: true, environment: env), ["PGPASSWORD", "TITLE"], "never sg's own")
        XCTAssertEqual(try names(["TITLE=sg:bulk-01", "PGPASSWORD"], environment: env), ["PGPASSWORD", "TITLE"])
    }

    func testBareNameMustBeSetAndNotSgsOwn() throws {
        for (args, expected) in [(["NOT_SET"], "NOT_SET is not set"), (["SG_KEYRING_PASSPHRASE"], "sg's own secrets"),
                                 (["=x"], "-e expects VAR=REF or VAR"), ([""], "-e expects VAR=REF or VAR")] {
            XCTAssertThrowsError(try names(args, environment: env)) { error in
                XCTAssertEqual((error as? SGError)?.exitCode, .usage, "\(args)")
                XCTAssertTrue("\(error)".contains(expected), "\(args): \(error)")
            }
        }
    }

    func testHookVariablesNeedAllowingByName() throws {
        func vars(_ names: [String]) -> [ExecVariable] {
            names.map { ExecVariable(name: $0, source: .literal("x"), asFile: false, defaultValue: nil, origin: "-e") }
        }
        for name in ["BASH_ENV", "ENV", "PROMPT_COMMAND", "IFS", "GCONV_PATH", "LOCPATH", "GLIBC_TUNABLES", "NODE_OPTIONS",
                     "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PERL5OPT", "PERL5LIB", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS"] {
            XCTAssertThrowsError(try ExecPlan.checkAllowed(vars([name])), name)
            XCTAssertNoThrow(try ExecPlan.checkAllowed(vars([name]), allowed: [name]), name)
        }
        XCTAssertNoThrow(try ExecPlan.checkAllowed(vars(["PGPASSWORD", "BASH_ENVX", "XENV"])))
        XCTAssertThrowsError(try ExecPlan.checkAllowed(vars(["LD_PRELOAD"]), allowed: ["LD_PRELOAD"]))
        XCTAssertThrowsError(try ExecPlan.checkAllowed(vars(["PATH"]), allowed: ["PATH"]))

        var o = ExecOptions()
        o.allowEnv = ["PYTHONPATH"]
        var c = ExecConfig()
        c.allowEnv = ["NODE_OPTIONS"]
        XCTAssertEqual(try ExecPlan.allowedHooks(o, config: c), ["PYTHONPATH", "NODE_OPTIONS"])
        o.allowEnv = ["LD_AUDIT"]
        XCTAssertThrowsError(try ExecPlan.allowedHooks(o, config: c))
    }

    func testEnvFileIsSortedAndQuotesLikeGo() throws {
        let c = ExecPlan.envFileContents([("B", SecretBytes(string: "has space")), ("A", SecretBytes(string: "plain")),
                                          ("C", SecretBytes(string: "q\"\\\n"))])
        XCTAssertEqual(c.unsafeString(), "A=plain\nB=\"has space\"\nC=\"q\\\"\\\\\\n\"\n")
    }

    func testForbiddenVariables() {
        for n in ["PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT"] { XCTAssertTrue(ExecPlan.isForbidden(n), n) }
        for n in ["PGPASSWORD", "MYPATH", "OLD_PRELOAD"] { XCTAssertFalse(ExecPlan.isForbidden(n), n) }
    }

    // The forwarding rule of sg-exec's supervisor (it lives beside the plan these tests cover).
    func testTerminalSignalsAreNotForwardedButSentOnesAre() {
        let kernel: Int32 = 0x80 /* SI_KERNEL */, user: Int32 = 0 /* SI_USER */, tkill: Int32 = -6
        for sig in [SIGINT, SIGQUIT, SIGTSTP, SIGHUP, SIGWINCH] {
            XCTAssertFalse(ChildProcess.shouldForward(signal: sig, code: kernel), "\(sig) from the terminal reached the child already")
        }
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGCONT] {
            XCTAssertTrue(ChildProcess.shouldForward(signal: sig, code: user), "\(sig) from kill(1)")
            XCTAssertTrue(ChildProcess.shouldForward(signal: sig, code: tkill))
        }
        XCTAssertFalse(ChildProcess.shouldForward(signal: SIGCHLD, code: user))
    }
}
