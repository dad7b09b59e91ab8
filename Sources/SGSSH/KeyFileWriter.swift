import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a fetched private key for `sg-ssh-key fetch -o FILE`: mode 0600, never through a
/// symlink at the destination, with the public key beside it as `FILE.pub` (0644), both files or
/// neither. Each goes to a temporary file in its folder (fsync) before either is renamed into
/// place; if the second rename fails, the first is rolled back to what was there before.
///
///     try KeyFileWriter.write(keyText, to: "/home/me/.ssh/deploy", publicKey: key.publicKey(comment: "sg:deploy"))
public enum KeyFileWriter {
    public static func write(_ key: SecretBytes, to path: String, publicKey: PublicKey?) throws {
        var files = [Output(path: path, mode: 0o600) { fd in try key.withUnsafeBytes { try WriteAll.write($0, to: fd) } }]
        if let publicKey {
            let line = Array((publicKey.authorizedKeysLine + "\n").utf8)
            // The public key first: the private key is renamed last, so it never needs a copy kept for a rollback.
            files.insert(Output(path: path + ".pub", mode: 0o644) { fd in
                try line.withUnsafeBytes { try WriteAll.write($0, to: fd) }
            }, at: 0)
        }
        try writeAtomically(files)
    }

    /// One file of a set written together: where, with which mode, and what goes in it.
    public struct Output {
        public let path: String
        public let mode: mode_t
        public let fill: (Int32) throws -> Void

        public init(path: String, mode: mode_t, fill: @escaping (Int32) throws -> Void) {
            self.path = path
            self.mode = mode
            self.fill = fill
        }
    }

    /// Replaces `path` with what `fill` writes, or leaves it untouched on any failure.
    public static func writeAtomically(path: String, mode: mode_t, _ fill: (Int32) throws -> Void) throws {
        try withoutActuallyEscaping(fill) { fill in
            try writeAtomically([Output(path: path, mode: mode, fill: fill)])
        }
    }

    /// Replaces every file of `files` or none of them. Every destination is checked (not a
    /// symlink, a regular file if it exists) and every temporary file written and synced before
    /// the first rename; the renames go in order, and a failed one puts back what the earlier
    /// ones replaced (kept as hard links to the old files) or removes what they created.
    public static func writeAtomically(_ files: [Output]) throws {
        for file in files { try checkDestination(file.path) }
        var temps: [String] = []
        var backups: [String?] = []
        var renamed = 0
        defer {
            for temp in temps.dropFirst(renamed) { unlink(temp) }
            for case let backup? in backups { unlink(backup) }
        }
        for file in files { temps.append(try AtomicFile.writeTemporary(beside: file.path, mode: file.mode, fill: file.fill)) }
        do {
            for (file, temp) in zip(files, temps) {
                // The last file needs no copy of its old self: nothing after it can fail.
                backups.append(renamed < files.count - 1 ? try keepOld(file.path) : nil)
                guard rename(temp, file.path) == 0 else { throw SGError.io("cannot replace \(file.path): \(String(cString: strerror(errno)))") }
                renamed += 1
            }
        } catch {
            for i in (0..<renamed).reversed() {
                if let backup = backups[i] { rename(backup, files[i].path) } else { unlink(files[i].path) }
            }
            renamed = 0
            throw error
        }
        for folder in Set(files.map { parentFolder(of: $0.path) }) { AtomicFile.syncFolder(folder) }
    }

    static func checkDestination(_ path: String) throws {
        guard !path.isEmpty, !path.hasSuffix("/") else { throw SGError.usage("output path '\(path)' names a folder") }
        var st = stat()
        if lstat(path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFLNK { throw SGError.io("refusing to write \(path): it is a symbolic link (remove it first)") }
            if kind != S_IFREG { throw SGError.io("refusing to write \(path): it exists and is not a regular file") }
        } else if errno != ENOENT {
            throw SGError.io("cannot check \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// A hard link to the file now at `path` (nil when there is none), so a rollback can put it back.
    static func keepOld(_ path: String) throws -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        let backup = parentFolder(of: path) + "/.\(path.split(separator: "/").last ?? "").sg-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).old"
        guard link(path, backup) == 0 else {
            throw SGError.io("cannot keep the old \(path) while replacing it: \(String(cString: strerror(errno)))")
        }
        return backup
    }


}
