import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a fetched private key for `sg-ssh-key fetch -o FILE`: atomically (a temporary file in
/// the same folder, fsync, rename, fsync of the folder), mode 0600, never through a symlink at
/// the destination, with the public key beside it as `FILE.pub` (0644).
///
///     try KeyFileWriter.write(keyText, to: "/home/me/.ssh/deploy", publicKey: key.publicKey(comment: "sg:deploy"))
public enum KeyFileWriter {
    public static func write(_ key: SecretBytes, to path: String, publicKey: PublicKey?) throws {
        try writeAtomically(path: path, mode: 0o600) { fd in
            try key.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        }
        if let publicKey {
            let line = Array((publicKey.authorizedKeysLine + "\n").utf8)
            try writeAtomically(path: path + ".pub", mode: 0o644) { fd in
                try line.withUnsafeBytes { try writeAll(fd, $0, path: path + ".pub") }
            }
        }
    }

    /// Replaces `path` with what `fill` writes, or leaves it untouched on any failure.
    public static func writeAtomically(path: String, mode: mode_t, _ fill: (Int32) throws -> Void) throws {
        guard !path.isEmpty, !path.hasSuffix("/") else { throw SGError.usage("output path '\(path)' names a folder") }
        var st = stat()
        if lstat(path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFLNK { throw SGError.io("refusing to write \(path): it is a symbolic link (remove it first)") }
            if kind != S_IFREG { throw SGError.io("refusing to write \(path): it exists and is not a regular file") }
        } else if errno != ENOENT {
            throw SGError.io("cannot check \(path): \(String(cString: strerror(errno)))")
        }
        let folder = parentFolder(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var fd: Int32 = -1
        var temp = ""
        for attempt in 0..<16 {
            temp = "\(folder)/.\(base).sg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(attempt).tmp"
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw SGError.io("cannot create a file in \(folder): \(String(cString: strerror(errno)))") }
        var renamed = false
        defer {
            if fd >= 0 { close(fd) }
            if !renamed { unlink(temp) }
        }
        // The umask must not widen or narrow what was asked for.
        guard fchmod(fd, mode) == 0 else { throw SGError.io("chmod \(temp): \(String(cString: strerror(errno)))") }
        try fill(fd)
        guard fsync(fd) == 0 else { throw SGError.io("fsync \(temp): \(String(cString: strerror(errno)))") }
        guard close(fd) == 0 else { fd = -1; throw SGError.io("close \(temp): \(String(cString: strerror(errno)))") }
        fd = -1
        guard rename(temp, path) == 0 else { throw SGError.io("cannot replace \(path): \(String(cString: strerror(errno)))") }
        renamed = true
        let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    static func writeAll(_ fd: Int32, _ data: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < data.count {
            let n = Glibc.write(fd, data.baseAddress! + done, data.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SGError.io("write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }
}
