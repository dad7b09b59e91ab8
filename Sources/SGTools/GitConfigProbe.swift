import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads git's own per-URL setting `credential.<url>.sgSecret` through
/// `git config --get-urlmatch`, as git-credential-oauth reads its settings, so git's URL matching
/// rules apply unchanged.
///
/// Running git costs a process, so the files git would read are first scanned for the word
/// `sgsecret`: when none holds it (and none includes another file, and no `-c` setting is in the
/// environment) git is not run. Anything the scan cannot rule out runs git.
public enum GitConfigProbe {
    public static let key = "credential.sgSecret"

    /// The secret name git's config gives `url`, or nil.
    public static func sgSecret(url: String, environment env: [String: String] = Environment.current) -> String? {
        guard mayDefine(environment: env) else { return nil }
        guard let r = try? Subprocess.capture(["git", "config", "--get-urlmatch", key, url], timeout: 10), r.status == 0 else {
            return nil
        }
        let text = r.stdout.unsafeString().trimmingASCIIWhitespace()
        return text.isEmpty ? nil : text
    }

    /// False only when no config git would read can define `credential.*.sgSecret`.
    public static func mayDefine(environment env: [String: String], cwd: String? = nil) -> Bool {
        if let p = env["GIT_CONFIG_PARAMETERS"], p.lowercased().contains("sgsecret") { return true }
        if let n = env["GIT_CONFIG_COUNT"], !n.isEmpty, n != "0" { return true }
        let (paths, unsure) = files(environment: env, cwd: cwd)
        if unsure { return true }
        for file in paths {
            switch scan(file) {
            case .absent, .clean: continue
            case .mentions, .unsure: return true
            }
        }
        return false
    }

    enum ScanResult { case absent, clean, mentions, unsure }

    static func scan(_ path: String) -> ScanResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return errno == ENOENT || errno == ENOTDIR ? .absent : .unsure }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 { if errno == EINTR { continue }; return .unsure }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 4 << 20 { return .unsure }
        }
        let lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        if contains(lower, "sgsecret") { return .mentions }
        if contains(lower, "include") { return .unsure }   // [include] / [includeIf ...]: follow with git itself
        return .clean
    }

    static func contains(_ hay: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard hay.count >= n.count else { return false }
        var i = 0
        while i + n.count <= hay.count {
            if hay[i] == n[0] && Array(hay[i..<(i + n.count)]) == n { return true }
            i += 1
        }
        return false
    }

    /// The config files git reads for a command run here (system, global, repository, worktree).
    static func files(environment env: [String: String], cwd: String?) -> (paths: [String], unsure: Bool) {
        var out: [String] = []
        let noSystem = env["GIT_CONFIG_NOSYSTEM"].map { ["1", "true", "yes", "on"].contains($0.lowercased()) } ?? false
        if !noSystem { out.append(env["GIT_CONFIG_SYSTEM"] ?? "/etc/gitconfig") }
        if let g = env["GIT_CONFIG_GLOBAL"] {
            out.append(g)
        } else {
            let home = Environment.home(env)
            let xdg = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
            out += [xdg + "/git/config", home + "/.gitconfig"]
        }
        if let d = env["GIT_COMMON_DIR"] { out.append(d + "/config") }
        if let d = env["GIT_DIR"] {
            out += [d + "/config", d + "/config.worktree"]
            return (out, false)
        }
        // Repository discovery as git does it: a .git folder (or file) or a bare repository.
        var dir = cwd ?? currentDirectory()
        while true {
            let dotgit = dir == "/" ? "/.git" : dir + "/.git"
            var st = stat()
            if lstat(dotgit, &st) == 0 {
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    out += [dotgit + "/config", dotgit + "/config.worktree"]
                } else {
                    return (out, true)   // a "gitdir: ..." file (worktree, submodule): let git follow it
                }
                break
            }
            let base = dir == "/" ? "" : dir
            if FileSafety.exists(base + "/HEAD") && FileSafety.exists(base + "/config") && FileSafety.exists(base + "/objects") {
                out.append(base + "/config")
                break
            }
            let up = parentFolder(of: dir)
            if up == dir || up == "." { break }   // the root, or a relative name with no folder left
            dir = up
        }
        return (out, false)
    }

    static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(cString: buf)
    }
}
