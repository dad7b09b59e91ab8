#if canImport(Glibc)
import Glibc
#endif

/// A command that could not be started, with the shell's exit code: 127 not found, 126 not executable.
public struct CommandStartError: Error, Sendable {
    public let code: Int32
    public let message: String
}

/// Finds a command as a shell does: a name with `/` is used as given, else the first executable
/// match on `PATH`.
public enum CommandLookup {
    public static func find(_ name: String, path: String?) -> Result<String, CommandStartError> {
        if name.isEmpty { return .failure(.init(code: 127, message: "empty command")) }
        if name.contains("/") { return check(name, shown: name) }
        var notExecutable: CommandStartError?
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            var st = stat()
            guard stat(candidate, &st) == 0 else { continue }
            switch check(candidate, shown: name) {
            case .success(let p): return .success(p)
            case .failure(let e): if notExecutable == nil { notExecutable = e }
            }
        }
        return .failure(notExecutable ?? .init(code: 127, message: "\(name): command not found"))
    }

    static func check(_ path: String, shown: String) -> Result<String, CommandStartError> {
        var st = stat()
        guard stat(path, &st) == 0 else {
            return .failure(.init(code: 127, message: "\(shown): \(String(cString: strerror(errno)))"))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .failure(.init(code: 126, message: "\(shown): is a directory")) }
        guard access(path, X_OK) == 0 else { return .failure(.init(code: 126, message: "\(shown): permission denied")) }
        return .success(path)
    }

    /// The code a shell gives for an execve failure.
    public static func failure(_ shown: String, errno e: Int32) -> CommandStartError {
        let code: Int32 = (e == ENOENT || e == ENOTDIR) ? 127 : 126
        return .init(code: code, message: "\(shown): \(String(cString: strerror(e)))")
    }
}
