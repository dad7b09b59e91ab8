import CSGSys
#if canImport(Glibc)
import Glibc
#endif

/// The frame every sg executable runs in: harden the process, set up logging, run, and turn
/// any error into one line on stderr and its sysexits code.
///
///     Tool.run("sg-secret") { try SecretCommand.run(arguments) }
public enum Tool {
    /// Environment variables sg never keeps: a key log would write TLS secrets to disk.
    static let droppedVariables = ["SSLKEYLOGFILE"]

    /// Hardens the process: no core dumps, not ptrace-attachable by same-user processes,
    /// no TLS key log. Call first in every tool.
    public static func harden() {
        _ = sg_harden_process()
        for name in droppedVariables { unsetenv(name) }
    }

    public static func run(_ name: String, _ body: () throws -> Int32) -> Never {
        harden()
        Log.bootstrap(tool: name)
        do {
            let code = try body()
            exit(code)
        } catch let error as SGError {
            fail(name, error)
        } catch {
            fail(name, .internalError(String(describing: type(of: error))))
        }
    }

    public static func fail(_ name: String, _ error: SGError) -> Never {
        Stderr.write("\(name): \(error.message)\n")
        exit(error.exitCode.rawValue)
    }

    /// Is a person at the terminal (stdin and /dev/tty usable)?
    public static var hasTerminal: Bool {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        if fd < 0 { return false }
        close(fd)
        return true
    }
}
