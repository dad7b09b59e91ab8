import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The one loop that writes every byte of a buffer to a descriptor: it resumes after short
/// writes and EINTR and throws the first other failure as swift-system's `Errno`. The bytes
/// are written from the caller's buffer and never copied, so a secret leaves no copy behind
/// (swift-system's own `writeAll(_:)` takes a `Sequence` and copies one without contiguous
/// storage into an array it does not wipe).
///
///     try WriteAll.write(raw, to: fd)          // files, pipes, terminals, memfds
///     try WriteAll.send(raw, to: socket)       // sockets: a closed peer is EPIPE, not SIGPIPE
public enum WriteAll {
    public static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws(Errno) {
        try loop(bytes) { rest throws(Errno) in
            // swift-system's write(2) retries EINTR and throws nothing but Errno.
            do { return try FileDescriptor(rawValue: fd).write(rest) } catch { throw error as? Errno ?? .ioError }
        }
    }

    public static func send(_ bytes: UnsafeRawBufferPointer, to socket: Int32) throws(Errno) {
        try loop(bytes) { rest throws(Errno) in
            while true {
                let n = Glibc.send(socket, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
                if n >= 0 { return n }
                if errno != EINTR { throw Errno(rawValue: errno) }
            }
        }
    }

    private static func loop(_ bytes: UnsafeRawBufferPointer,
                             _ step: (UnsafeRawBufferPointer) throws(Errno) -> Int) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let n = try step(UnsafeRawBufferPointer(rebasing: bytes[done...]))
            // write(2) returns 0 only for a zero-length request; never spin on it.
            guard n > 0 else { throw Errno.ioError }
            done += n
        }
    }
}
