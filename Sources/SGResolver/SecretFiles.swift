import CSGSys
import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Where `file` secrets live for the child.
///
/// By default a sealed memfd the child inherits, named `/dev/fd/N`: nothing on disk, nothing to
/// clean up, and it lives exactly as long as the child holds it (also when sg-exec is killed).
/// Where a real path is needed (`@SUMMONENVFILE`, `--tmpfs-files`) a 0600 file in a private 0700
/// folder under `$XDG_RUNTIME_DIR` or `/dev/shm` — tmpfs only, never a disk-backed temp folder —
/// removed by `removeAll()` when the child ends.
public final class SecretFiles: @unchecked Sendable {
    /// Descriptors the child must inherit.
    public private(set) var inheritedFDs: [Int32] = []
    /// The private folder of real files, once one was needed.
    public private(set) var directory: String?
    private var paths: [String] = []
    private let environment: [String: String]

    public init(environment: [String: String] = Environment.current) {
        self.environment = environment
    }

    deinit { closeInherited() }

    /// A memfd holding `value`, sealed against change; returns `/dev/fd/N`.
    public func memfd(name: String, value: SecretBytes) throws -> String {
        // MFD_ALLOW_SEALING (2), not MFD_CLOEXEC: the child inherits it.
        let fd = sg_memfd_create("sg-exec:\(name)", 2)
        guard fd >= 0 else { throw SGError.io("memfd_create for \(name): \(String(cString: strerror(errno)))") }
        let ok = value.withUnsafeBytes { SecretOutput.writeAll(fd, $0) }
        guard ok else {
            let e = errno
            close(fd)
            throw SGError.io("writing the memfd for \(name): \(String(cString: strerror(e)))")
        }
        _ = sg_memfd_seal_all(fd)
        inheritedFDs.append(fd)
        return "/dev/fd/\(fd)"
    }

    /// A 0600 file on tmpfs holding `value`; returns its path.
    public func tmpfsFile(name: String, value: SecretBytes) throws -> String {
        let dir = try privateDirectory()
        let safe = String(name.unicodeScalars.map { c -> Character in
            (c.isASCII && (c.properties.isAlphabetic || (c >= "0" && c <= "9") || c == "_" || c == "-")) ? Character(c) : "_"
        }.prefix(64))
        var path = "\(dir)/\(safe.isEmpty ? "secret" : safe)"
        var n = 1
        while paths.contains(path) { n += 1; path = "\(dir)/\(safe)-\(n)" }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SGError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        paths.append(path)
        let ok = value.withUnsafeBytes { SecretOutput.writeAll(fd, $0) }
        let e = errno
        close(fd)
        guard ok else { throw SGError.io("writing \(path): \(String(cString: strerror(e)))") }
        return path
    }

    /// Closes sg-exec's copies of the inherited memfds (after the child has them).
    public func closeInherited() {
        for fd in inheritedFDs { close(fd) }
        inheritedFDs = []
    }

    /// Removes every real file and the private folder. Safe to call twice.
    public func removeAll() {
        for p in paths { unlink(p) }
        paths = []
        if let d = directory { rmdir(d) }
        directory = nil
    }

    /// `$XDG_RUNTIME_DIR` when it is ours, private and on tmpfs; else `/dev/shm` when on tmpfs.
    public static func tmpfsBase(environment: [String: String]) throws -> String {
        var candidates: [String] = []
        if let x = environment["XDG_RUNTIME_DIR"], x.hasPrefix("/") { candidates.append(x) }
        candidates.append("/dev/shm")
        for c in candidates {
            var st = stat()
            guard stat(c, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            if c != "/dev/shm" && (st.st_uid != getuid() || st.st_mode & 0o077 != 0) { continue }
            if isMemoryBacked(c) { return c }
        }
        throw SGError.config("no memory-backed folder for secret files: neither $XDG_RUNTIME_DIR nor /dev/shm is on tmpfs; " +
                             "drop --tmpfs-files (memfds need no folder) or set XDG_RUNTIME_DIR")
    }

    static func isMemoryBacked(_ path: String) -> Bool { sg_path_is_memory_backed(path) == 1 }

    private func privateDirectory() throws -> String {
        if let d = directory { return d }
        let base = try Self.tmpfsBase(environment: environment)
        var template = Array("\(base)/sg-exec.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SGError.io("cannot create a private folder in \(base): \(String(cString: strerror(errno)))")
        }
        let d = String(cString: made)
        chmod(d, 0o700)
        directory = d
        return d
    }
}
