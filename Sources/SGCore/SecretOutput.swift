#if canImport(Glibc)
import Glibc
#endif

/// Writing secrets where a tool exists to print them (stdout), straight from `SecretBytes`.
public enum SecretOutput {
    /// Writes the secret to stdout, then "\n" when `newline` and the value does not end in one.
    /// A short write (closed pipe) is an I/O error, so a caller never takes half a secret for all of it.
    public static func write(_ value: SecretBytes, newline: Bool, fd: Int32 = 1) {
        let ok = value.withUnsafeBytes { raw -> Bool in
            guard writeAll(fd, raw) else { return false }
            if newline && (raw.isEmpty || raw[raw.count - 1] != 0x0A) {
                var nl: UInt8 = 0x0A
                return writeAll(fd, UnsafeRawBufferPointer(start: &nl, count: 1))
            }
            return true
        }
        if !ok {
            Stderr.write("sg: cannot write to stdout: \(String(cString: strerror(errno)))\n")
            exit(ExitCode.ioError.rawValue)
        }
    }

    public static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }
}
