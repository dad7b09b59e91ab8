#if canImport(Glibc)
import Glibc
#endif

/// Where a secret value in config comes from: inline, an environment variable, a file or a
/// command's output (docs/config.md "Sources of secret values").
public enum SecretSource: Sendable, Equatable {
    case literal(SecretBytes)
    case env(String)
    case file(String)
    case command(String)

    /// The environment variable this source reads, if any (sg-exec keeps these from its child).
    public var environmentVariable: String? {
        if case .env(let name) = self { return name }
        return nil
    }

    /// Produces the value; `what` names it in errors ("API key of secret 'db'"). An empty value
    /// is refused here (78): sent on, an empty API key or passphrase only comes back as the
    /// appliance's 403 or OpenSSL's "bad decrypt", which never names the file.
    public func resolve(what: String) throws -> SecretBytes {
        let value = try produce(what: what)
        guard value.count > 0 else {
            throw SGError.config("\(what): \(origin) is empty")
        }
        return value
    }

    /// Where the value came from, for messages.
    var origin: String {
        switch self {
        case .literal: return "the value in the config"
        case .env(let name): return "environment variable \(name)"
        case .file(let path): return "file \(path)"
        case .command: return "the command's output"
        }
    }

    private func produce(what: String) throws -> SecretBytes {
        switch self {
        case .literal(let value):
            return value
        case .env(let name):
            guard let raw = getenv(name) else {
                throw SGError.config("\(what): environment variable \(name) is not set")
            }
            let len = strlen(raw)
            return SecretBytes(bytes: UnsafeRawBufferPointer(start: raw, count: len))
        case .file(let path):
            return try FileSafety.readSecret(path).droppingTrailingNewline()
        case .command(let command):
            let result = try Subprocess.capture(["/bin/sh", "-c", command])
            guard result.status == 0 else {
                throw SGError.config("\(what): command exited with status \(result.status)")
            }
            return result.stdout.droppingTrailingNewline()
        }
    }

    public static func == (a: SecretSource, b: SecretSource) -> Bool {
        switch (a, b) {
        case (.literal(let x), .literal(let y)): return x.constantTimeEquals(y)
        case (.env(let x), .env(let y)): return x == y
        case (.file(let x), .file(let y)): return x == y
        case (.command(let x), .command(let y)): return x == y
        default: return false
        }
    }
}
