#if canImport(Glibc)
import Glibc
#endif

/// The file checks every tool makes before trusting a file, as ssh's StrictModes does for keys.
///
/// A file is opened first and the checks are made on the opened descriptor (`fstat`), so the file
/// read is the file checked: a name swapped between a check and an open proves nothing. The file
/// must be owned by this user or root and not writable by group or others; a file that holds
/// secrets must not be readable by them either. Every folder above it, on the path as given and
/// on the path the descriptor really has, must be owned by this user or root and not writable by
/// group or others, except a root-owned folder with the sticky bit (`/tmp`): otherwise another
/// user could rename the file or a folder above it and put their own in its place.
///
///     let key = try FileSafety.readSecret("/home/me/.config/sg/apikeys/db")
public enum FileSafety {
    /// What `read` returns: the bytes and what the descriptor said when they were read.
    public struct Contents {
        public let path: String
        public let bytes: [UInt8]
        let mode: mode_t

        /// Refuses the file if group or others can read it; for a file found to hold secrets
        /// only once it was parsed (a config with an inline API key).
        public func requirePrivate() throws {
            if mode & 0o044 != 0 {
                throw SGError.unsafePermissions(path: path, problem: "holds secrets and is readable by group or others",
                                                fix: "chmod 600 \(shellQuote(path))")
            }
        }
    }

    /// The most any file is read into memory by default.
    public static let defaultLimit = 16 << 20

    /// Reads a whole file after checking it (and, with `holdsSecrets`, that only its owner can read
    /// it). A file larger than `limit` is refused with `tooLarge`'s error (a config error by default).
    public static func read(_ path: String, holdsSecrets: Bool = false, limit: Int = defaultLimit,
                            tooLarge: (String) -> SGError = { SGError.config($0) }) throws -> Contents {
        try withCheckedFile(path, holdsSecrets: holdsSecrets) { fd, st in
            let bytes = try readAll(fd, path: path, sizeHint: Int(st.st_size), limit: limit, tooLarge: tooLarge) { Array($0) }
            return Contents(path: path, bytes: bytes, mode: st.st_mode & 0o7777)
        }
    }

    /// Reads a whole file into a secret (key files, API-key files, passphrase files): it must be
    /// private to its owner.
    public static func readSecret(_ path: String) throws -> SecretBytes {
        try withCheckedFile(path, holdsSecrets: true) { fd, st in
            try readAll(fd, path: path, sizeHint: Int(st.st_size), limit: defaultLimit, tooLarge: { SGError.config($0) }) { SecretBytes(bytes: $0) }
        }
    }

    /// Reads a whole non-secret file, checked.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        try read(path).bytes
    }

    /// Checks a file that another library opens by its name (the CA bundle libcurl reads). The
    /// folders above it are what keeps it from being swapped afterwards.
    public static func check(_ path: String, holdsSecrets: Bool) throws {
        try withCheckedFile(path, holdsSecrets: holdsSecrets) { _, _ in }
    }

    /// Reads `path` without any ownership check into a temporary buffer that is wiped after
    /// `body` returns: for files in a folder sg keeps private itself (the keyring).
    public static func readFile<R>(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let fd = try openForReading(path)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SGError.config("\(path) is a directory") }
        return try readAll(fd, path: path, sizeHint: Int(st.st_size), limit: defaultLimit, tooLarge: { SGError.config($0) }, body)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    // MARK: the checks

    /// Opens `path`, checks the descriptor and the folders above, and runs `body` on it.
    static func withCheckedFile<R>(_ path: String, holdsSecrets: Bool, _ body: (Int32, stat) throws -> R) throws -> R {
        let fd = try openForReading(path)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SGError.config("\(path) is a directory") }
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
        try checkFolders(above: path, opened: fd)
        return try body(fd, st)
    }

    /// Every folder above the path as given and above the path the descriptor has (they differ
    /// when a symlink is on the way: both the link's folder and the target's matter).
    static func checkFolders(above path: String, opened fd: Int32) throws {
        var seen: [String] = []   // a few folders: a scan costs less than hashing them
        var given = path
        if !given.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            guard getcwd(&buf, buf.count) != nil else { throw SGError.config("cannot read \(path): the current folder is gone") }
            given = String(cString: buf) + "/" + given
        }
        var real: String?
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(fd)", &buf, buf.count - 1)
        if n > 0 {
            let text = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("/") { real = text }
        }
        for start in [given, real].compactMap({ $0 }) {
            var folder = parentFolder(of: start)
            while true {
                // A folder checked on the first walk had its parents checked after it.
                guard !seen.contains(folder) else { break }
                seen.append(folder)
                try checkFolder(folder, holding: path)
                if folder == "/" { break }
                folder = parentFolder(of: folder)
            }
        }
    }

    /// One folder: owned by this user or root, and not writable by group or others unless it is
    /// root's and sticky (then others cannot rename or remove what they do not own).
    static func checkFolder(_ folder: String, holding path: String) throws {
        var st = stat()
        guard stat(folder, &st) == 0 else {
            throw SGError.config("cannot check \(folder), a folder above \(path): \(String(cString: strerror(errno)))")
        }
        let uid = getuid()
        if st.st_uid != uid && st.st_uid != 0 {
            throw SGError.unsafePermissions(path: path, problem: "the folder \(folder) above it is owned by uid \(st.st_uid), not by you or root",
                                            fix: "chown \(uid) \(shellQuote(folder))")
        }
        let sticky = st.st_mode & S_ISVTX != 0
        if st.st_mode & 0o022 != 0 && !(sticky && st.st_uid == 0) {
            throw SGError.unsafePermissions(path: path, problem: "the folder \(folder) above it is writable by group or others",
                                            fix: "chmod go-w \(shellQuote(folder))")
        }
    }

    // MARK: reading

    /// O_NONBLOCK so that a FIFO without a writer cannot hang the open; reads block as usual.
    static func openForReading(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))") }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return fd
    }

    /// Reads to the end into a buffer that is wiped after `body` returns; more than `limit`
    /// bytes is refused without reading further.
    static func readAll<R>(_ fd: Int32, path: String, sizeHint: Int, limit: Int, tooLarge: (String) -> SGError,
                           _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        var capacity = Swift.min(Swift.max(sizeHint, 0), limit) + 1
        var buf = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { explicit_bzero(buf.baseAddress!, buf.count); buf.deallocate() }
        var used = 0
        while true {
            if used > limit { throw tooLarge("\(path) is larger than \(YAML.size(limit)), the most sg reads from it") }
            if used == capacity {
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.min(capacity * 2, limit + 1), alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(buf))
                explicit_bzero(buf.baseAddress!, buf.count)
                buf.deallocate()
                buf = bigger
                capacity = bigger.count
            }
            let n = Glibc.read(fd, buf.baseAddress! + used, capacity - used)
            if n < 0 {
                if errno == EINTR { continue }
                throw SGError.config("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            used += n
        }
        return try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[0..<used]))
    }
}
