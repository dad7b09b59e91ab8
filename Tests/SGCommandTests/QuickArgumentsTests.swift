import XCTest
@testable import SGCommand

final class QuickArgumentsTests: XCTestCase {
    let profile = ["profile": ["-p", "--profile"]]

    func testPlainFormsMatch() {
        XCTAssertEqual(QuickArguments.match(["get"], subcommand: "get", options: profile), QuickArguments())
        for args in [["get", "-p", "prod"], ["get", "--profile", "prod"], ["get", "--profile=prod"]] {
            XCTAssertEqual(QuickArguments.match(args, subcommand: "get", options: profile)?.options, ["profile": "prod"], "\(args)")
        }
        let q = QuickArguments.match(["status", "--json", "-p", "x"], subcommand: "status", options: profile, flags: ["json": ["--json"]])
        XCTAssertEqual(q?.flags, ["json"])
        XCTAssertEqual(q?.options, ["profile": "x"])
        XCTAssertEqual(QuickArguments.match(["-n", "sg:db"], flags: ["n": ["-n"]], positionals: 1)?.positionals, ["sg:db"])
        XCTAssertEqual(QuickArguments.match(["--profile="], options: profile)?.options, ["profile": ""], "ArgumentParser takes an empty value too")
    }

    /// Everything else is left to ArgumentParser, which owns help and every error message.
    func testAnythingElseIsLeftToArgumentParser() {
        let unmatched: [[String]] = [
            [], ["status"], ["get", "--help"], ["get", "-h"], ["get", "-p"], ["get", "-p", "-x"],
            ["get", "-p", "a", "-p", "b"], ["get", "--verbose"], ["get", "extra"], ["get", "--"],
            ["get", "--json"], ["get", "--profil=x"], ["help", "get"],
        ]
        for args in unmatched {
            XCTAssertNil(QuickArguments.match(args, subcommand: "get", options: profile), "\(args)")
        }
        XCTAssertNil(QuickArguments.match(["--no-newline", "sg:db"], flags: ["n": ["-n"]], positionals: 1), "only the spellings given")
        XCTAssertNil(QuickArguments.match(["-n", "-n", "sg:db"], flags: ["n": ["-n"]], positionals: 1))
        XCTAssertNil(QuickArguments.match(["a", "b"], positionals: 1))
        XCTAssertEqual(QuickArguments.match(["-"], positionals: 1)?.positionals, ["-"], "'-' is a value, as ArgumentParser reads it")
    }
}
