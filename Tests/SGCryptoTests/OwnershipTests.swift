import Foundation
import SGTestSupport
import XCTest

/// The owners free what they hold on every path, success and failure: sg-fuzz replays the seed
/// corpora of the `pkcs12` and `private-key` targets (keys of every type and format, encrypted and
/// not, PKCS#12 files modern and legacy, with and without a key or a certificate, wrong
/// passphrases) under valgrind, and no block that libcrypto allocated may be lost, nor any read or
/// write land in freed memory.
final class OwnershipTests: XCTestCase {
    func testNoLibcryptoAllocationIsLostOnAnyPathOfTheKeyAndPKCS12Readers() throws {
        let valgrind = "/usr/bin/valgrind"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: valgrind), "valgrind is not installed (scripts/bootstrap)")
        let corpus = TestPaths.packageRoot.appendingPathComponent("fuzz/corpus")
        // valgrind's DWARF reader gives up on the Swift debug build: run a copy without debug
        // sections (as scripts/bench does for callgrind); the symbol tables remain for the stacks.
        let dir = try TestPaths.makeTempDir("sg-valgrind")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fuzz = dir.appendingPathComponent("sg-fuzz").path
        let strip = try ToolRunner.run("/usr/bin/objcopy", ["--strip-debug", TestPaths.binary("sg-fuzz"), fuzz], environment: [:])
        XCTAssertEqual(strip.status, 0, strip.stderrText)
        for target in ["pkcs12", "private-key"] {
            let run = try ToolRunner.run(valgrind, [
                "--leak-check=full", "--show-leak-kinds=definite,indirect", "--num-callers=40", "--error-exitcode=99",
                "--errors-for-leak-kinds=none", fuzz, "replay", target, corpus.appendingPathComponent(target).path,
            ], environment: ["PATH": "/usr/bin:/bin"], timeout: 600)
            let report = run.stderrText
            XCTAssertTrue(report.contains("ERROR SUMMARY"), "valgrind did not finish: \(report.suffix(2000))")
            XCTAssertNotEqual(run.status, 99, "\(target): valgrind found a memory error:\n\(report.suffix(6000))")
            let lostInLibcrypto = Self.lossRecords(report).filter { $0.contains("libcrypto.so") }
            XCTAssertEqual(lostInLibcrypto, [], "\(target): blocks libcrypto allocated were never freed")
        }
    }

    /// valgrind's loss records ("N bytes in M blocks are definitely lost …" and the stack under it).
    static func lossRecords(_ report: String) -> [String] {
        var records: [String] = []
        var current: [String]? = nil
        for line in report.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.drop { $0 != " " }.drop { $0 == " " }   // past "==PID=="
            if text.contains("are definitely lost") || text.contains("are indirectly lost") {
                current = [String(text)]
            } else if current != nil {
                if text.isEmpty { records.append(current!.joined(separator: "\n")); current = nil } else { current!.append(String(text)) }
            }
        }
        if let current { records.append(current.joined(separator: "\n")) }
        return records
    }
}
