import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// `sg-exec`: resolves every variable, then runs the command with them.
///
///     var o = ExecOptions(); o.command = ["psql"]; o.assignments = ["PGPASSWORD=sg:demo-db"]
///     exit(try ExecRunner.run(o))
///
/// With nothing to clean up and no masking the command replaces sg-exec (execve); otherwise
/// sg-exec stays as a supervisor and exits with the child's status (128+N for signal N).
public enum ExecRunner {
    public static func run(_ options: ExecOptions, environment: [String: String] = Environment.current) throws -> Int32 {
        guard let command = options.command.first else {
            throw SGError.usage("missing command: sg-exec [options] -- COMMAND [ARGS...]")
        }
        let resolver = try ToolContext.resolver()
        let dropped = ExecPlan.alwaysDropped.union(resolver.config.secretEnvironmentVariables)

        let vars = try ExecPlan.collect(options, environment: environment, dropped: dropped,
                                        optedIn: resolver.config.exec.env)
        try ExecPlan.checkAllowed(vars, allowed: try ExecPlan.allowedHooks(options, config: resolver.config.exec))
        let resolved = try ExecPlan.resolve(vars, resolver: resolver)
        Log.logger.debug("resolved \(resolved.count) variables: \(resolved.map { Log.describe(name: $0.name, secret: $0.value) }.joined(separator: ", "))")

        let path: String
        switch CommandLookup.find(command, path: environment["PATH"]) {
        case .success(let p): path = p
        case .failure(let e): throw e
        }

        let wantsEnvFile = options.wantsEnvFile
        let stays = options.mask || wantsEnvFile || (options.tmpfsFiles && resolved.contains { $0.asFile })

        // Before any file exists, take over the signals, so an interrupt from here on still
        // ends with the files removed.
        var originalMask = sigset_t()
        if stays {
            var set = ChildProcess.supervisedSignals()
            pthread_sigmask(SIG_BLOCK, &set, &originalMask)
        }
        // Folders of earlier runs that were killed before their clean-up hold secrets: remove them.
        SecretFiles.sweepAbandoned(environment: environment)
        let files = SecretFiles(environment: environment)
        defer { files.removeAll() }

        var setting: [(name: String, value: SecretBytes)] = []
        for v in resolved {
            if v.asFile {
                let p = options.tmpfsFiles
                    ? try files.tmpfsFile(name: v.name, value: v.value)
                    : try files.memfd(name: v.name, value: v.value)
                setting.append((v.name, SecretBytes(string: p)))
            } else {
                setting.append((v.name, v.value))
            }
        }
        if let section = options.section, options.secretsFile != nil {
            setting.append(("SUMMON_ENV", SecretBytes(string: section)))
        }

        var argv = options.command
        if wantsEnvFile {
            let listed = setting.filter { $0.name != "SUMMON_ENV" }
            let envFile = try files.tmpfsFile(name: "summon-env", value: ExecPlan.envFileContents(listed))
            argv = [argv[0]] + argv.dropFirst().map { $0.replacingAll(ExecOptions.envFileMarker, with: envFile) }
        }

        let environmentC = ChildEnvironment(dropping: dropped, setting: setting)
        let cArgs = CArguments(argv)
        if !stays {
            throw ChildProcess.execInPlace(path: path, argv: cArgs, environment: environmentC,
                                           keep: files.inheritedFDs, shown: command)
        }
        let secrets = resolved.filter(\.isSecret).map(\.value)
        let masker: (() -> OutputMasker)? = options.mask ? { OutputMasker(secrets: secrets) } : nil
        return try ChildProcess.spawnAndWait(path: path, argv: cArgs, environment: environmentC, files: files,
                                             masker: masker, originalMask: originalMask, shown: command)
    }
}
