#if canImport(Glibc)
import Glibc
#endif

/// The file checks every tool makes before trusting a file, as ssh does for keys.
public enum FileSafety {
    /// Refuses a file that another user could change (group/world-writable, or owned by someone
    /// other than this user or root) and, when `holdsSecrets`, one that others can read.
    public static func check(_ path: String, holdsSecrets: Bool) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let uid = getuid()
        if st.st_uid != uid && st.st_uid != 0 {
            throw SGError.unsafePermissions(path: path, problem: "owned by uid \(st.st_uid), not by you",
                                            fix: "chown \(uid) \(shellQuote(path))")
        }
        let mode = st.st_mode & 0o7777
        if mode & 0o022 != 0 {
            throw SGError.unsafePermissions(path: path, problem: "writable by group or others",
                                            fix: "chmod go-w \(shellQuote(path))")
        }
        if holdsSecrets && mode & 0o044 != 0 {
            throw SGError.unsafePermissions(path: path, problem: "holds secrets and is readable by group or others",
                                            fix: "chmod 600 \(shellQuote(path))")
        }
    }

    /// Reads a whole file into a secret (for key files, API-key files, passphrase files).
    public static func readSecret(_ path: String) throws -> SecretBytes {
        try check(path, holdsSecrets: true)
        return try readFile(path) { SecretBytes(bytes: $0) }
    }

    /// Reads a whole non-secret file.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        try readFile(path) { Array($0) }
    }

    /// Reads `path` into a temporary buffer that is wiped after `body` returns.
    public static func readFile<R>(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        _ = fstat(fd, &st)
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SGError.config("\(path) is a directory") }
        var capacity = Swift.max(Int(st.st_size), 0) + 1
        let limit = 16 << 20
        var buf = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { explicit_bzero(buf.baseAddress!, buf.count); buf.deallocate() }
        var used = 0
        while true {
            if used == capacity {
                guard capacity < limit else { throw SGError.config("\(path) is larger than 16 MiB") }
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(buf))
                explicit_bzero(buf.baseAddress!, buf.count)
                buf.deallocate()
                buf = bigger
                capacity *= 2
            }
            let n = read(fd, buf.baseAddress! + used, capacity - used)
            if n < 0 {
                if errno == EINTR { continue }
                throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            used += n
        }
        return try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[0..<used]))
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}

/// Quotes a word for a shell command shown to the user.
public func shellQuote(_ s: String) -> String {
    let safe = s.allSatisfy { $0.isLetter || $0.isNumber || "/._-~+:@%=,".contains($0) }
    if safe && !s.isEmpty { return s }
    return "'" + s.replacingAll("'", with: "'\\''") + "'"
}

