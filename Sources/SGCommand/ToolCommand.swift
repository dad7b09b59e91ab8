import ArgumentParser
import SGCore
#if canImport(Glibc)
import Glibc
#endif

extension ParsableCommand {
    /// Parses the command line and runs the command inside `Tool`'s frame: hardened process,
    /// logging, errors as one line and a sysexits code. Usage errors exit 64.
    ///
    /// `quick` may claim the arguments first (see `QuickArguments`): it returns the body to run,
    /// or nil to leave them to ArgumentParser.
    public static func runTool(_ name: String, arguments: [String]? = nil,
                               quick: ([String]) -> (() throws -> Void)? = { _ in nil }) -> Never {
        Tool.harden()
        Log.bootstrap(tool: name)
        do {
            if let body = quick(arguments ?? Array(CommandLine.arguments.dropFirst())) {
                try body()
                Glibc.exit(0)
            }
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
