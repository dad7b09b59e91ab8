import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Folder and file helpers with the modes the keyring needs (0700 folders, 0600 files).
enum PrivateFiles {
    /// Creates `path` and missing parents with 0700; tightens a folder of ours that is too open;
    /// refuses one owned by someone else.
    static func ensureDirectory(_ path: String) throws {
        var st = stat()
        if stat(path, &st) != 0 {
            let parent = parentFolder(of: path)
            if parent != path { try ensureDirectory(parent) }
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw SGError.io("cannot create \(path): \(String(cString: strerror(errno)))")
            }
            guard stat(path, &st) == 0 else { throw SGError.io("cannot create \(path)") }
            return
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw SGError.io("\(path) is not a folder") }
    }

    /// The keyring's own folder: must be ours; made 0700 if it is not.
    static func ensurePrivateDirectory(_ path: String) throws {
        try ensureDirectory(path)
        var st = stat()
        guard stat(path, &st) == 0 else { throw SGError.io("cannot stat \(path)") }
        if st.st_uid != getuid() {
            throw SGError.unsafePermissions(path: path, problem: "owned by uid \(st.st_uid), not by you", fix: "chown \(getuid()) \(shellQuote(path))")
        }
        if st.st_mode & 0o077 != 0 { chmod(path, 0o700) }
    }

    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        guard FileSafety.exists(path) else { return nil }
        do { return try FileSafety.readFile(path) { Array($0) } } catch let e as SGError {
            throw SGError.io(e.message.replacingAll("config: ", with: ""))
        }
    }
}
