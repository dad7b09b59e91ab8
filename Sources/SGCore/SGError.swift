/// Exit codes from sysexits.h, as the table in README.md ("Exit codes") assigns them.
public enum ExitCode: Int32, Sendable {
    case ok = 0
    case usage = 64          // EX_USAGE
    case dataError = 65      // EX_DATAERR: malformed input (protocol, files)
    case noInput = 66        // EX_NOINPUT
    case unknownSecret = 67  // EX_NOUSER: unknown secret or reference
    case unavailable = 69    // EX_UNAVAILABLE: appliance unreachable, A2A off, keyring unavailable
    case software = 70       // EX_SOFTWARE: a bug in sg
    case ioError = 74        // EX_IOERR: a local file could not be written
    case tempFailure = 75    // EX_TEMPFAIL: timeout, retries exhausted; try later
    case protocolError = 76  // EX_PROTOCOL: unexpected response
    case noPermission = 77   // EX_NOPERM: authentication or authorization denied, login required
    case config = 78         // EX_CONFIG: bad config, unreadable key/CA, untrusted server, unsafe permissions
}

/// Every failure a user can act on, each mapped once to a one-line message and an exit code.
///
/// Messages never contain secret values: callers pass names, paths and server messages only.
public enum SGError: Error, Sendable, Equatable {
    /// Wrong command line.
    case usage(String)
    /// Malformed input on stdin or in a file the user gave (not config).
    case malformedInput(String)
    /// A reference or secret name that config does not define; `read` says which config files
    /// were read (`Config.readSummary`), since a file that was never read is the usual cause.
    case unknownSecret(String, read: String = "")
    /// A reference that does not parse.
    case badReference(String)
    /// No appliance answered (connection refused, DNS, every cluster member down).
    case unreachable(String)
    /// The service answered that it is off (A2A disabled, 503 without retry).
    case serviceUnavailable(String)
    /// The operation's deadline passed.
    case timeout(String)
    /// Retries on 429/503 ran out.
    case retriesExhausted(String)
    /// The appliance answered something sg does not understand.
    case unexpectedResponse(String)
    /// 401/403, a rejected client certificate, a wrong password or OTP.
    case denied(String)
    /// No usable token for a profile that cannot log in unattended.
    case loginRequired(profile: String)
    /// Invalid configuration; the text names file:line and the fix.
    case config(String)
    /// A file that is unsafe to use; `fix` is the command that repairs it.
    case unsafePermissions(path: String, problem: String, fix: String)
    /// The server's certificate is not trusted (wrong CA, pin mismatch).
    case untrustedServer(String)
    /// The keyring cannot be used (locked, no Secret Service, corrupt beyond repair).
    case keyringUnavailable(String)
    /// A local file could not be read or written.
    case io(String)
    /// A bug or an impossible state.
    case internalError(String)

    public var exitCode: ExitCode {
        switch self {
        case .usage: return .usage
        case .malformedInput: return .dataError
        case .unknownSecret, .badReference: return .unknownSecret
        case .unreachable, .serviceUnavailable, .keyringUnavailable: return .unavailable
        case .timeout, .retriesExhausted: return .tempFailure
        case .unexpectedResponse: return .protocolError
        case .denied, .loginRequired: return .noPermission
        case .config, .unsafePermissions, .untrustedServer: return .config
        case .io: return .ioError
        case .internalError: return .software
        }
    }

    /// The one line printed on stderr (without the tool's name). Messages carry text from the
    /// appliance, files and the command line (an error `Message`, a path, a prompt), so control
    /// characters are escaped here, where every tool renders its errors: an ANSI sequence from a
    /// hostile server must not reach the terminal, and a line break must not start a fake line.
    public var message: String { unescapedMessage.escapingControlCharacters() }

    private var unescapedMessage: String {
        switch self {
        case .usage(let m): return m
        case .malformedInput(let m): return "malformed input: \(m)"
        case .unknownSecret(let name, let read):
            return "unknown secret '\(name)': define it under 'secrets:' in the config (see man sg-config)" + (read.isEmpty ? "" : "; \(read)")
        case .badReference(let m): return "bad reference: \(m)"
        case .unreachable(let m): return "appliance unreachable: \(m)"
        case .serviceUnavailable(let m): return "service unavailable: \(m)"
        case .timeout(let m): return "timed out: \(m); try again later or raise timeouts.total"
        case .retriesExhausted(let m): return "gave up after retries: \(m); try again later"
        case .unexpectedResponse(let m): return "unexpected response: \(m)"
        case .denied(let m): return "access denied: \(m)"
        case .loginRequired(let p): return "login required for profile '\(p)': run: sg-token login -p \(p)"
        case .config(let m): return "config: \(m)"
        case .unsafePermissions(let path, let problem, let fix): return "refusing \(path): \(problem); run: \(fix)"
        case .untrustedServer(let m): return "server certificate not trusted: \(m)"
        case .keyringUnavailable(let m): return "keyring unavailable: \(m)"
        case .io(let m): return "I/O error: \(m)"
        case .internalError(let m): return "internal error: \(m)"
        }
    }
}

extension SGError: CustomStringConvertible {
    public var description: String { message }
}
