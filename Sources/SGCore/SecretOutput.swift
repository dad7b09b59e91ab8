#if canImport(Glibc)
import Glibc
#endif

/// Writing secrets where a tool exists to print them (stdout), straight from `SecretBytes`.
public enum SecretOutput {
    /// Writes the secret to stdout, then "\n" when `newline` and the value does not end in one.
    /// A short write (closed pipe) is an I/O error, so a caller never takes half a secret for all of it.
    public static func write(_ value: SecretBytes, newline: Bool, fd: Int32 = 1) {
        do {
            try value.withUnsafeBytes { raw in
                try WriteAll.write(raw, to: fd)
                if newline && (raw.isEmpty || raw[raw.count - 1] != 0x0A) {
                    try withUnsafeBytes(of: UInt8(0x0A)) { try WriteAll.write($0, to: fd) }
                }
            }
        } catch {
            Stderr.write("sg: cannot write to stdout: \(error)\n")
            exit(ExitCode.ioError.rawValue)
        }
    }
}
