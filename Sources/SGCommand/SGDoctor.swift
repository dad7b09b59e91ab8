import ArgumentParser
import SGCore
import SGTools
#if canImport(Glibc)
import Glibc
#endif

/// Checks a setup end to end and says, one line per check, what is fine and what to fix.
struct SGDoctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-doctor",
        abstract: "Check the sg config, appliances, API keys, keyring, ssh-agent and git settings.",
        discussion: """
        One line per check: ok, PROBLEM (with the fix) or skipped. Checks the config files and \
        their modes, each profile's CA and client certificate files, DNS, TCP and TLS to each \
        appliance (the server certificate must verify and name the host; the client certificate \
        must be accepted), each secret's API key (one A2A call each, in parallel; no value is \
        printed), the keyring backend and whether it is locked, ssh-agent (SSH_AUTH_SOCK), and \
        git's credential.helper and credential.useHttpPath against the git rules. Exits 0 only \
        when every check passes, else with the exit code of the first problem.
        \(ToolHelp.footer)
        """,
        version: SGVersion.line("sg-doctor"))

    @Option(help: ArgumentHelp("Seconds each network check may take.", valueName: "seconds"))
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0, timeout <= 120 else { throw ValidationError("--timeout must be from 0 to 120 seconds") }
    }

    func run() throws {
        var doctor = Doctor()
        doctor.timeout = timeout
        let checks = doctor.run()
        for c in checks { print(c.line) }
        fflush(nil)   // every stream: exit() below would flush too, but say it where it matters
        Glibc.exit(Doctor.exitCode(checks).rawValue)
    }
}
