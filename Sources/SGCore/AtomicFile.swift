import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Files replaced all at once, the one way sg writes a file that holds secrets or that a reader
/// may open at any moment (the file keyring, sg-exec's tmpfs files, sg-ssh-key's key files).
/// The new contents go to a new file beside the old one (same folder, so the rename cannot cross
/// file systems), created with `O_EXCL | O_NOFOLLOW` under a random name and given `mode` whatever
/// the umask, synced, then renamed over it; the folder is synced after. A reader sees the old
/// file or the new one, never part of either; on any failure the old file is left as it was.
///
///     try AtomicFile.replace(path) { fd in try WriteAll.write(bytes, to: fd) }
public enum AtomicFile {
    public static func replace(_ path: String, mode: mode_t = 0o600, fill: (Int32) throws -> Void) throws {
        let temp = try writeTemporary(beside: path, mode: mode, fill: fill)
        guard rename(temp, path) == 0 else {
            let e = errno
            unlink(temp)
            throw SGError.io("cannot replace \(path): \(String(cString: strerror(e)))")
        }
        syncFolder(parentFolder(of: path))
    }

    /// A new file beside `path` holding what `fill` wrote, synced and closed; its name is returned
    /// for the caller to rename (`replace`, or several files renamed together by KeyFileWriter).
    /// A failure removes it. `fill`'s `Errno` (from `WriteAll`) becomes an I/O error naming `path`.
    public static func writeTemporary(beside path: String, mode: mode_t, fill: (Int32) throws -> Void) throws -> String {
        let folder = parentFolder(of: path)
        let base = lastPathComponent(of: path)
        var fd: Int32 = -1
        var temp = ""
        for attempt in 0..<16 {
            temp = "\(folder)/.\(base).sg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(attempt).tmp"
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw SGError.io("cannot create a file in \(folder): \(String(cString: strerror(errno)))") }
        var done = false
        defer {
            if fd >= 0 { close(fd) }
            if !done { unlink(temp) }
        }
        // The umask must not widen or narrow what was asked for.
        guard fchmod(fd, mode) == 0 else { throw SGError.io("chmod \(temp): \(String(cString: strerror(errno)))") }
        do { try fill(fd) } catch let error as Errno { throw SGError.io("write \(path): \(error)") }
        guard fsync(fd) == 0 else { throw SGError.io("fsync \(temp): \(String(cString: strerror(errno)))") }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else { throw SGError.io("close \(temp): \(String(cString: strerror(errno)))") }
        done = true
        return temp
    }

    /// Makes a rename in `folder` durable (best effort: a folder that cannot be opened is skipped).
    public static func syncFolder(_ folder: String) {
        let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
