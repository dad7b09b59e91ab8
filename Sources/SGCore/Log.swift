import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Logging to stderr, levelled by `SG_LOG=error|warn|info|debug` (default: warn).
///
/// Never pass a secret value to a logger. To say which secret was used, log
/// `Log.describe(name:secret:)`, which gives its name and length only.
public enum Log {
    /// The process-wide logger for sg's modules.
    public static var logger: Logger { Logger(label: "sg") }

    /// Installs the stderr handler once; `Tool.run` calls it first.
    /// A second call (a subcommand's `Tool.run` inside `runTool`) changes nothing.
    public static func bootstrap(tool: String) {
        guard !bootstrapped.exchange() else { return }
        let level = parseLevel(getenv("SG_LOG").map { String(cString: $0) })
        LoggingSystem.bootstrap { _ in StderrLogHandler(tool: tool, logLevel: level) }
    }

    private static let bootstrapped = OnceFlag()

    public static func parseLevel(_ text: String?) -> Logger.Level {
        switch text?.lowercased() {
        case "debug", "trace": return .debug
        case "info": return .info
        case "error": return .error
        case "warn", "warning", nil, "": return .warning
        default: return .warning
        }
    }

    /// How a secret may appear in a log: its name and its length, never a hash of its value.
    public static func describe(name: String, secret: SecretBytes) -> String {
        "\(name) (\(secret.count) bytes)"
    }
}

/// One line per message: `tool: level: message key=value ...`.
struct StderrLogHandler: LogHandler {
    let tool: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(tool: String, logLevel: Logger.Level) {
        self.tool = tool
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var text = "\(tool): \(event.level == .warning ? "warning" : event.level.rawValue): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) { text += " \(k)=\(v)" }
        // Log lines quote server and file text too; escape it as SGError.message does.
        Stderr.write(text.escapingControlCharacters() + "\n")
    }
}

/// Unbuffered writes to stderr, one `write(2)` per line so concurrent lines do not interleave.
public enum Stderr {
    public static func write(_ text: String) {
        var t = text
        t.withUTF8 { buf in try? WriteAll.write(UnsafeRawBufferPointer(buf), to: 2) }
    }
}

/// Set once, by whichever thread gets there first.
final class OnceFlag: Sendable {
    private let flag = Mutex(false)

    init() {}

    /// Sets the flag; returns whether it was already set.
    func exchange() -> Bool {
        flag.withLock { set in
            let was = set
            set = true
            return was
        }
    }
}
