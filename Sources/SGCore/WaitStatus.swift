#if canImport(Glibc)
import Glibc
#endif

/// How a child ended, decoded in one place for every process sg starts (`command:` sources,
/// ssh-add, sg-exec's child, sg-watch's handler).
///
///     let code = WaitStatus.exitCode(WaitStatus.wait(for: pid))   // 0…255, or 128 + N for signal N
public enum WaitStatus {
    /// The code a shell reports for a `waitpid` status: the exit status when the child exited,
    /// 128 + N when signal N ended it (sg-exec passes it on as its own, as `sh -c` would).
    public static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Blocks until `pid` ends and returns its raw status; a signal that interrupts the wait
    /// (EINTR) does not end it. Returns -1 only when `pid` is not a child of ours (ECHILD).
    @discardableResult
    public static func wait(for pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return status
    }
}
