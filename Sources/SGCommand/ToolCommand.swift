import ArgumentParser
import SGCore
#if canImport(Glibc)
import Glibc
#endif

extension ParsableCommand {
    /// Parses the command line and runs the command inside `Tool`'s frame: hardened process,
    /// logging, errors as one line and a sysexits code. Usage errors exit 64.
    public static func runTool(_ name: String, arguments: [String]? = nil) -> Never {
        Tool.harden()
        Log.bootstrap(tool: name)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch let error as SGError {
            Tool.fail(name, error)
        } catch let code as ArgumentParser.ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let text = fullMessage(for: error)
            let code = exitCode(for: error)
            if code == .success {
                print(text)
                Glibc.exit(0)
            }
            Stderr.write(text.hasSuffix("\n") ? text : text + "\n")
            Glibc.exit(code == .validationFailure ? SGCore.ExitCode.usage.rawValue : code.rawValue)
        }
    }
}
