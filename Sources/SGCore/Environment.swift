#if canImport(Glibc)
import Glibc
#endif

/// The process environment as a dictionary, read once.
public enum Environment {
    public static var current: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                out[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return out
    }

    public static func home(_ env: [String: String] = current) -> String {
        if let h = env["HOME"], !h.isEmpty { return h }
        if let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    public static func get(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
