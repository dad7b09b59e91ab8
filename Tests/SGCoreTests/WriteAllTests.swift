import XCTest
import Glibc
import SystemPackage
@testable import SGCore

/// The one write-all loop (WriteAll) on real descriptors: a pipe that takes a large buffer in
/// many short writes, a full device, and a socket whose reader has gone.
final class WriteAllTests: XCTestCase {
    func testEveryByteReachesAPipeThroughShortWrites() throws {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        // 1 MiB is sixteen times a pipe's buffer: write(2) returns short counts along the way.
        let sent = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        final class Received: @unchecked Sendable { var bytes: [UInt8] = [] }   // read after the join
        let received = Received()
        let readEnd = fds[0]
        let done = DispatchSemaphore(value: 0)
        Thread {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(readEnd, &chunk, chunk.count)
                if n <= 0 { break }
                received.bytes.append(contentsOf: chunk[0..<n])
            }
            done.signal()
        }.start()
        try sent.withUnsafeBytes { try WriteAll.write($0, to: fds[1]) }
        close(fds[1])
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "reader did not finish")
        close(fds[0])
        XCTAssertEqual(received.bytes.count, sent.count)
        XCTAssertTrue(received.bytes == sent)
    }

    func testAFullDeviceIsTheErrnoOfTheWrite() throws {
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try XCTSkipIf(fd < 0, "no /dev/full")
        defer { close(fd) }
        let bytes: [UInt8] = Array(repeating: 0x41, count: 10)
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try WriteAll.write($0, to: fd) }) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, ENOSPC, "\(error)")
            XCTAssertEqual("\(error)", String(cString: strerror(ENOSPC)), "the message is strerror's text")
        }
    }

    func testASocketWithNoReaderIsEPIPENotSIGPIPE() throws {
        var sv: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sv), 0)
        close(sv[1])
        defer { close(sv[0]) }
        let bytes: [UInt8] = Array(repeating: 0x42, count: 100)
        // Without MSG_NOSIGNAL this would kill the test process with SIGPIPE.
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try WriteAll.send($0, to: sv[0]) }) { error in
            XCTAssertEqual((error as? Errno)?.rawValue, EPIPE, "\(error)")
        }
    }

    func testNothingToWriteIsNoWrite() throws {
        try [UInt8]().withUnsafeBytes { try WriteAll.write($0, to: -1) }
    }
}
