import XCTest
import SGCore
import SGTestSupport
@testable import SGKeyring
#if canImport(Glibc)
import Glibc
#endif

/// Many processes at once: the tests spawn this test bundle again (`/proc/self/exe` with a
/// filter naming `WorkerTests/testWorker`) with SG_TEST_WORKER set, so each worker is a
/// separate process using the real file keyring and the real cross-process locks. Run without
/// SG_TEST_WORKER, `testWorker` is an ordinary single-process test of the same path.
final class WorkerTests: XCTestCase {
    static let filter = "SGKeyringTests.WorkerTests/testWorker"

    func testWorker() throws {
        let env = ProcessInfo.processInfo.environment
        let mode = env["SG_TEST_WORKER"] ?? "store"
        let id = env["SG_TEST_WORKER_ID"] ?? "0"
        var tmp: URL? = nil
        let dir: String
        if let d = env["SG_KEYRING_DIR"] { dir = d } else {
            tmp = try TestPaths.makeTempDir("worker")
            dir = tmp!.path + "/kr"
        }
        defer { if let tmp { try? FileManager.default.removeItem(at: tmp) } }
        let kr = try FileKeyring(directory: dir, passphrase: nil)
        switch mode {
        case "store":
            try kr.store(service: "isp-worker\(id)", account: "parallel", secret: SecretBytes(string: "secret-\(id)"))
            XCTAssertEqual(try kr.lookup(service: "isp-worker\(id)", account: "parallel")?.unsafeString(), "secret-\(id)")
        case "login":
            let counter = env["SG_TEST_LOGIN_COUNTER"] ?? dir + "/logins"
            let cache = TokenCache(store: TokenStore(backend: kr), lockDirectory: env["SG_TEST_LOCK_DIR"] ?? dir + "/locks")
            let token = try cache.get(profile: "parallel", authority: CountingAuthority(counterPath: counter))
            XCTAssertTrue(token.token.unsafeString().hasPrefix("login-"))
            if let out = env["SG_TEST_RESULT"] {
                try token.token.unsafeString().write(toFile: out, atomically: true, encoding: .utf8)
            }
        default:
            XCTFail("unknown worker mode \(mode)")
        }
    }

    /// Spawns `count` workers at once and waits for all; returns their exit statuses.
    static func spawn(count: Int, mode: String, environment: [String: String]) throws -> [Int32] {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var pids: [pid_t] = []
        for i in 0..<count {
            var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            env["SG_TEST_WORKER"] = mode
            env["SG_TEST_WORKER_ID"] = String(i)
            env["SWIFT_BACKTRACE"] = "enable=no"
            let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
            let cArgs = [strdup(exe), strdup(filter), nil]
            defer { cEnv.forEach { free($0) }; cArgs.forEach { free($0) } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, exe, &actions, nil, cArgs, cEnv)
            posix_spawn_file_actions_destroy(&actions)
            guard rc == 0 else { throw SGError.io("posix_spawn: \(rc)") }
            pids.append(pid)
        }
        return pids.map { pid in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }
}

/// TEST DOUBLE (not a mock of the keyring): a TokenAuthority standing in for the Safeguard /
/// Identity clients. Each unattended login appends a line to a counter file (shared by all
/// processes) and takes 300 ms, so racing callers overlap.
struct CountingAuthority: TokenAuthority {
    let counterPath: String
    var serviceName: String { "isp" }
    var postfix: String { "counting@example.com" }

    func refresh(_ token: ArkToken) throws -> ArkToken { throw SGError.denied("test authority does not refresh") }

    func loginUnattended() throws -> ArkToken? {
        let fd = open(counterPath, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        if fd >= 0 {
            let line = "login \(getpid())\n"
            _ = line.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        usleep(300_000)
        return ArkToken(token: SecretBytes(string: "login-\(getpid())"), username: "counting@example.com",
                        tokenType: .jwt, authMethod: .identity, expiresIn: Instant.now.addingTimeInterval(3600))
    }
}
