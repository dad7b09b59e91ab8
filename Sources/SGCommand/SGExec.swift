import ArgumentParser
import SGCore
import SGTools
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command with secrets from Safeguard in its environment.
struct SGExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-exec",
        abstract: "Run a command with secrets from Safeguard injected into its environment.",
        discussion: """
        Variables come from -e VAR=REF, from a summon secrets.yml (-f), and from inherited \
        variables the user names: a bare -e VAR resolves the inherited VAR if its value is a \
        reference (PGPASSWORD=sg:demo-db sg-exec -e PGPASSWORD -- psql) and passes it on untouched \
        if not; --env-all and exec.env in the config opt in more. Any other variable whose value \
        looks like sg:... reaches COMMAND untouched. Every reference is fetched before COMMAND \
        starts; if any fails, COMMAND does not run. No secret may set PATH or LD_*; interpreter \
        and loader hooks (BASH_ENV, ENV, IFS, PROMPT_COMMAND, PYTHONPATH, NODE_OPTIONS, PERL5OPT, \
        RUBYOPT, JAVA_TOOL_OPTIONS, GLIBC_TUNABLES, ...) only with --allow-env NAME. File \
        secrets (!file) reach COMMAND as /dev/fd/N. sg-exec replaces itself with COMMAND unless \
        it must stay (--mask, --tmpfs-files, @SUMMONENVFILE, --restart-on-change, --signal-on-change); then it \
        forwards signals and exits with COMMAND's status (128+N when killed by signal N). 127: command not \
        found; 126: not executable. --restart-on-change follows Safeguard's rotation of the secrets it \
        injected: it fetches them all again, stops COMMAND (--stop-signal, then SIGKILL after --grace) and \
        starts it with the new values; a failed fetch keeps the old COMMAND and is retried. --signal-on-change \
        SIG rewrites the --tmpfs-files secrets and signals COMMAND instead (64 if any secret is in the \
        environment or at /dev/fd/N).
        \(ToolHelp.footer)
        """,
        version: SGVersion.line("sg-exec"))

    @Option(name: [.customShort("e"), .customLong("env")], parsing: .singleValue,
            help: ArgumentHelp("Set VAR to the secret REF (sg:NAME, sg:NAME#FIELD, sg:token/PROFILE); a bare VAR resolves the inherited VAR if its value is a reference.",
                               valueName: "VAR=REF|VAR"))
    var environment: [String] = []

    @Flag(help: "Resolve every inherited variable whose value is a reference (sg:...).")
    var envAll = false

    @Option(parsing: .singleValue, help: ArgumentHelp("Let a secret set the interpreter/loader hook variable NAME (e.g. PYTHONPATH); repeatable.", valueName: "NAME"),
            completion: .list(ExecPlan.hookVariables.sorted()))
    var allowEnv: [String] = []

    @Option(name: .customShort("f"), help: ArgumentHelp("A summon secrets.yml.", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("The secrets.yml section to use (merged over 'common'/'default'); sets SUMMON_ENV.", valueName: "name"))
    var section: String?

    @Option(name: .customShort("D"), parsing: .singleValue, help: ArgumentHelp("Replace $KEY in secrets.yml values.", valueName: "KEY=VALUE"))
    var define: [String] = []

    @Flag(help: "Replace secret values in COMMAND's stdout/stderr with <concealed by sg>.")
    var mask = false

    @Flag(help: "Hand file secrets over as 0600 files on tmpfs (removed when COMMAND ends) instead of /dev/fd/N.")
    var tmpfsFiles = false

    @Flag(help: "Stay and restart COMMAND with the new values when Safeguard rotates one of its secrets (A2A events; watch: in the config).")
    var restartOnChange = false

    @Option(help: ArgumentHelp("With --restart-on-change: the signal that stops the old child.", valueName: "SIG"))
    var stopSignal = "TERM"

    @Option(help: ArgumentHelp("With --restart-on-change: seconds the old child has to stop before SIGKILL.", valueName: "seconds"))
    var grace: Double = 10

    @Option(help: ArgumentHelp("Instead of a restart, rewrite the --tmpfs-files secrets (write + rename) and send SIG.", valueName: "SIG"))
    var signalOnChange: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        do {
            _ = try SignalName.parse(stopSignal)
            _ = try signalOnChange.map(SignalName.parse)
        } catch let e as SGError { throw ValidationError(e.message) }
        if !(grace >= 0 && grace <= 3600) { throw ValidationError("--grace must be a number of seconds from 0 to 3600") }
        if restartOnChange && signalOnChange != nil { throw ValidationError("--restart-on-change and --signal-on-change exclude each other") }
    }

    func run() throws {
        // Checked here, not in validate(): ArgumentParser runs validate() before it reports
        // leftover arguments, so `sg-exec --bogus` said "missing command" instead of naming --bogus.
        if command.isEmpty { throw SGError.usage("missing command: sg-exec [options] -- COMMAND [ARGS...]") }
        var options = ExecOptions()
        options.command = command
        options.assignments = environment
        options.envAll = envAll
        options.allowEnv = allowEnv
        options.secretsFile = file
        options.section = section
        options.defines = define
        options.mask = mask
        options.tmpfsFiles = tmpfsFiles
        options.restartOnChange = restartOnChange
        options.stopSignal = try SignalName.parse(stopSignal)
        options.grace = grace
        options.signalOnChange = try signalOnChange.map(SignalName.parse)
        do {
            Glibc.exit(try ExecRunner.run(options))
        } catch let e as ExecResolutionError {
            for line in e.lines { Stderr.write("sg-exec: \(line.escapingControlCharacters())\n") }
            Stderr.write("sg-exec: \(e.failures.count) of the references failed; \(command[0]) was not started\n")
            Glibc.exit(e.exitCode)
        } catch let e as CommandStartError {
            Stderr.write("sg-exec: \(e.message)\n")
            Glibc.exit(e.code)
        }
    }
}
