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
/// removed by `removeAll()` when the child ends. The folder holds a `.lock` that sg-exec keeps
/// `flock`ed while it lives; when sg-exec is killed before it can clean up, the lock goes with it
/// and the next sg-exec removes the folder (``sweepAbandoned(environment:)``).
public final class SecretFiles: @unchecked Sendable {
    /// Descriptors the child must inherit.
    public private(set) var inheritedFDs: [Int32] = []
    /// The private folder of real files, once one was needed.
    public private(set) var directory: String?
    private var paths: [String] = []
    /// The open `.lock` of `directory`, flock'ed until `removeAll()`.
    private var lockFD: Int32 = -1
    private let environment: [String: String]

    static let folderPrefix = "sg-exec."
    static let lockName = ".lock"

    public init(environment: [String: String] = Environment.current) {
        self.environment = environment
    }

    deinit {
        closeInherited()
        if lockFD >= 0 { close(lockFD) }
    }

    /// A memfd holding `value`, sealed against change; returns `/dev/fd/N`.
    public func memfd(name: String, value: SecretBytes) throws -> String {
        // MFD_ALLOW_SEALING (2), not MFD_CLOEXEC: the child inherits it.
        let fd = sg_memfd_create("sg-exec:\(name)", 2)
        guard fd >= 0 else { throw SGError.io("memfd_create for \(name): \(String(cString: strerror(errno)))") }
        do { try value.withUnsafeBytes { raw in try WriteAll.write(raw, to: fd) } } catch {
            close(fd)
            throw SGError.io("writing the memfd for \(name): \(error)")
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
        defer { close(fd) }
        do { try value.withUnsafeBytes { raw in try WriteAll.write(raw, to: fd) } } catch {
            throw SGError.io("writing \(path): \(error)")
        }
        return path
    }

    /// Replaces the contents of a file made by `tmpfsFile` all at once: a new 0600 file beside it,
    /// renamed over it, so a child that reads it after a signal sees the old or the new value whole.
    public func replace(path: String, value: SecretBytes) throws {
        guard paths.contains(path) else { throw SGError.internalError("\(path) is not one of sg-exec's files") }
        try AtomicFile.replace(path, mode: 0o600) { fd in try value.withUnsafeBytes { try WriteAll.write($0, to: fd) } }
    }

    /// Closes sg-exec's copies of the inherited memfds (after the child has them).
    public func closeInherited() {
        for fd in inheritedFDs { close(fd) }
        inheritedFDs = []
    }

    /// Removes every real file and the private folder, then lets go of its lock. Safe to call twice.
    public func removeAll() {
        for p in paths { unlink(p) }
        paths = []
        if let d = directory {
            unlink("\(d)/\(Self.lockName)")
            rmdir(d)
        }
        directory = nil
        if lockFD >= 0 { close(lockFD) }
        lockFD = -1
    }

    /// Removes the private folders that sg-exec runs killed before their clean-up left behind
    /// (SIGKILL, the OOM killer): this user's `sg-exec.XXXXXX` folders in the tmpfs bases whose
    /// `.lock` no process holds. Not by PID: PIDs are reused, and PID namespaces may share
    /// `/dev/shm`. A folder without a lock is left alone (it is being made, or predates the locks).
    /// Never fails: what cannot be looked at is skipped.
    public static func sweepAbandoned(environment: [String: String]) {
        for base in tmpfsCandidates(environment: environment) {
            guard let dir = opendir(base) else { continue }
            defer { closedir(dir) }
            let baseFD = dirfd(dir)
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name.utf8.count == folderPrefix.utf8.count + 6, name.hasPrefix(folderPrefix) else { continue }
                sweepFolder(name, in: baseFD)
            }
        }
    }

    private static func sweepFolder(_ name: String, in baseFD: Int32) {
        let folder = openat(baseFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return }
        defer { close(folder) }
        var st = stat()
        guard fstat(folder, &st) == 0, st.st_uid == getuid(), st.st_mode & 0o077 == 0 else { return }
        let lock = openat(folder, lockName, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard lock >= 0 else { return }
        defer { close(lock) }
        // Free: the sg-exec that made it is gone. Held: it is alive (or another sweeper is here).
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { return }
        guard let listing = fdopendir(dup(folder)) else { return }
        var names: [String] = []
        while let entry = readdir(listing) {
            let n = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            if n != "." && n != ".." && n != lockName { names.append(n) }
        }
        closedir(listing)
        for n in names { unlinkat(folder, n, 0) }
        unlinkat(folder, lockName, 0)
        unlinkat(baseFD, name, AT_REMOVEDIR)
    }

    /// Is `fd` still the file at `path`? A sweeper that took the lock before us has unlinked it.
    private static func isStillLinked(_ fd: Int32, at path: String) -> Bool {
        var held = stat(), named = stat()
        guard fstat(fd, &held) == 0, held.st_nlink > 0, lstat(path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }

    /// `$XDG_RUNTIME_DIR` when it is ours, private and on tmpfs; else `/dev/shm` when on tmpfs.
    public static func tmpfsBase(environment: [String: String]) throws -> String {
        if let first = tmpfsCandidates(environment: environment).first { return first }
        throw SGError.config("no memory-backed folder for secret files: neither $XDG_RUNTIME_DIR nor /dev/shm is on tmpfs; " +
                             "drop --tmpfs-files (memfds need no folder) or set XDG_RUNTIME_DIR")
    }

    /// The folders secret files may go in, best first.
    static func tmpfsCandidates(environment: [String: String]) -> [String] {
        var candidates: [String] = []
        if let x = environment["XDG_RUNTIME_DIR"], x.hasPrefix("/") { candidates.append(x) }
        candidates.append("/dev/shm")
        return candidates.filter { c in
            var st = stat()
            guard stat(c, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return false }
            if c != "/dev/shm" && (st.st_uid != getuid() || st.st_mode & 0o077 != 0) { return false }
            return isMemoryBacked(c)
        }
    }

    static func isMemoryBacked(_ path: String) -> Bool { sg_path_is_memory_backed(path) == 1 }

    /// Makes the private folder and takes its lock before anything secret goes in.
    private func privateDirectory() throws -> String {
        if let d = directory { return d }
        let base = try Self.tmpfsBase(environment: environment)
        for _ in 0..<5 {
            var template = Array("\(base)/\(Self.folderPrefix)XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw SGError.io("cannot create a private folder in \(base): \(String(cString: strerror(errno)))")
            }
            let d = String(cString: made)
            chmod(d, 0o700)
            let lockPath = "\(d)/\(Self.lockName)"
            let fd = open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let e = errno
                rmdir(d)
                throw SGError.io("cannot create \(lockPath): \(String(cString: strerror(e)))")
            }
            // A sweeper may have found the fresh lock free between open and flock and be removing
            // the folder: then leave it to the sweeper and make another.
            if flock(fd, LOCK_EX | LOCK_NB) == 0 && Self.isStillLinked(fd, at: lockPath) {
                lockFD = fd
                directory = d
                return d
            }
            close(fd)
        }
        throw SGError.io("cannot hold a private folder in \(base): each new one was removed at once")
    }
}
