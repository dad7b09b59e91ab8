#if canImport(Glibc)
import Glibc
#endif

/// Raw writes to stdout, so a token goes out without becoming a Swift `String`.
enum Stdout {
    static func write(_ bytes: UnsafeRawBufferPointer) {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(1, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}
