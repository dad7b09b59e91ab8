#if canImport(Glibc)
import Glibc
#endif

/// Asks a person for a value: a password, a one-time code, a choice. Login clients take one so
/// that tools use the terminal and tests use a script; `isInteractive == false` means nobody can
/// be asked, and the client must fail with a clear error instead of waiting.
public protocol Prompter: Sendable {
    /// Is somebody there to answer?
    var isInteractive: Bool { get }
    /// Reads a line with echo off (passwords, codes).
    func readSecret(_ prompt: String) throws -> SecretBytes
    /// Reads a line with echo on (a user name, a menu choice).
    func readLine(_ prompt: String) throws -> String
    /// Shows a line of information (an MFA hint).
    func say(_ text: String)
    /// Reads a line with echo off while something else may end the wait: `idle` runs every
    /// `interval` seconds while nothing has been typed, and the read returns nil as soon as `idle`
    /// returns false (an out-of-band approval arrived while a code could also be typed).
    func readSecret(_ prompt: String, every interval: Double, idle: () throws -> Bool) throws -> SecretBytes?
}

extension Prompter {
    /// A prompter that cannot wait on two things answers at once.
    public func readSecret(_ prompt: String, every interval: Double, idle: () throws -> Bool) throws -> SecretBytes? {
        try readSecret(prompt)
    }
}

/// The controlling terminal, `/dev/tty` — never stdin, which belongs to git, ssh or a pipe.
///
///     let password = try TerminalPrompt().readSecret("Password for alice: ")
///
/// With no controlling terminal (cron, CI, a detached service) `isInteractive` is false and
/// every read throws `SGError.loginRequired`-style errors rather than blocking.
public struct TerminalPrompt: Prompter {
    /// The longest line accepted; a password longer than this is not a password.
    public static let maxLength = 8192

    public init() {}

    public var isInteractive: Bool { Tool.hasTerminal }

    public func readSecret(_ prompt: String) throws -> SecretBytes {
        try read(prompt, echo: false, every: 0, idle: nil)!
    }

    public func readLine(_ prompt: String) throws -> String {
        let line = try read(prompt, echo: true, every: 0, idle: nil)!
        return line.unsafeString()
    }

    public func readSecret(_ prompt: String, every interval: Double, idle: () throws -> Bool) throws -> SecretBytes? {
        try withoutActuallyEscaping(idle) { try read(prompt, echo: false, every: interval, idle: $0) }
    }

    public func say(_ text: String) {
        let fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        writeAll(fd, text + "\n")
    }

    /// With `idle`, waits for input in steps of `interval` seconds (poll(2); in canonical mode the
    /// terminal reports input only once a whole line is there) and gives up when `idle` says so.
    private func read(_ prompt: String, echo: Bool, every interval: Double, idle: (() throws -> Bool)?) throws -> SecretBytes? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw SGError.usage("no terminal to ask on: \(prompt)") }
        defer { close(fd) }
        var saved = termios()
        let isTTY = tcgetattr(fd, &saved) == 0
        if isTTY && !echo {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            quiet.c_lflag |= tcflag_t(ICANON)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if isTTY && !echo {
                _ = tcsetattr(fd, TCSAFLUSH, &saved)
                writeAll(fd, "\n")
            }
        }
        writeAll(fd, prompt)
        let out = SecretBuffer(capacity: 128)
        var byte: UInt8 = 0
        if let idle {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(&pfd, 1, Int32(max(interval, 0.01) * 1000))
                if ready < 0 && errno == EINTR { continue }
                if ready != 0 { break }
                if try !idle() { return nil }
            }
        }
        while true {
            let n = Glibc.read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if byte == 0x0A { break }
            if out.count >= Self.maxLength { throw SGError.usage("input longer than \(Self.maxLength) bytes") }
            if byte != 0x0D { out.append([byte]) }
        }
        byte = 0
        return out.take()
    }

    private func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in try? WriteAll.write(raw, to: fd) }
        bytes.removeAll()
    }
}

/// Nobody to ask: every read fails. For unattended runs (and tests of that path).
public struct NoPrompt: Prompter {
    public init() {}
    public var isInteractive: Bool { false }
    public func readSecret(_ prompt: String) throws -> SecretBytes { throw SGError.usage("no terminal to ask for input on") }
    public func readLine(_ prompt: String) throws -> String { throw SGError.usage("no terminal to ask for input on") }
    public func say(_ text: String) {}
}
