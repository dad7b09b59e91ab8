import CSGSys
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// One child for `ChildProcess.spawnAndWait` to start: argv, environment and files, and the
/// secret values `--mask` conceals in its output.
final class ChildLaunch {
    let argv: CArguments
    let environment: ChildEnvironment
    let files: SecretFiles
    let secrets: [SecretBytes]

    init(argv: CArguments, environment: ChildEnvironment, files: SecretFiles, secrets: [SecretBytes]) {
        self.argv = argv
        self.environment = environment
        self.files = files
        self.secrets = secrets
    }
}

/// sg-exec's `--restart-on-change` and `--signal-on-change`: a `SecretWatcher` on its own thread
/// writes a byte to a pipe when a watched secret changes; the supervisor loop polls that pipe with
/// the child's signals and output, and calls `refresh` to fetch every secret again.
final class ChildRotation: @unchecked Sendable {
    enum Mode {
        case restart(stopSignal: Int32, grace: Double)
        case signal(Int32)
    }

    /// What a successful re-fetch gives the supervisor.
    enum Next {
        case restart(ChildLaunch)
        case signalled(newSecrets: [SecretBytes])
    }

    let mode: Mode
    let wakeFD: Int32
    private let writeFD: Int32
    private let settings: WatchSettings
    /// Fetches every secret again; nil when that failed (it has said why on stderr).
    let refresh: () -> Next?
    private var failures = 0
    /// When to try again after a failed re-fetch.
    var retryAt: Double?

    init(mode: Mode, settings: WatchSettings, refresh: @escaping () -> Next?) throws {
        var fds: [Int32] = [-1, -1]
        guard sg_pipe_cloexec(&fds) == 0 else { throw SGError.io("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeFD = fds[0]
        writeFD = fds[1]
        self.mode = mode
        self.settings = settings
        self.refresh = refresh
    }

    deinit {
        close(wakeFD)
        close(writeFD)
    }

    /// From the watcher's thread: a secret changed. A full pipe already holds a wake-up.
    func notify() {
        var one: UInt8 = 1
        _ = write(writeFD, &one, 1)
    }

    func drain() {
        var buf = [UInt8](repeating: 0, count: 64)
        while read(wakeFD, &buf, buf.count) > 0 {}
    }

    func failed() {
        failures += 1
        let wait = settings.backoff(attempt: failures)
        Stderr.write("sg-exec: the child keeps the old values; fetching again in \(Int(wait.rounded(.up))) s\n")
        retryAt = Monotonic.now + wait
    }

    func succeeded() {
        failures = 0
        retryAt = nil
    }
}

/// Signal names for `--stop-signal` and `--signal-on-change`: `TERM`, `SIGTERM`, `term` or a number.
public enum SignalName {
    static let table: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("USR2", SIGUSR2), ("TERM", SIGTERM), ("ALRM", SIGALRM), ("CONT", SIGCONT), ("WINCH", SIGWINCH),
    ]

    public static func parse(_ text: String) throws -> Int32 {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let (_, n) = table.first(where: { $0.0 == name }) { return n }
        if let n = Int32(text), n > 0, n < 65 { return n }
        throw SGError.usage("unknown signal '\(text.prefix(20))' (HUP, INT, QUIT, USR1, USR2, TERM, ... or a number)")
    }
}
