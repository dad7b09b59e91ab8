import SGCore
import SGResolver
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
        let watching = options.restartOnChange || options.signalOnChange != nil
        if options.restartOnChange && options.signalOnChange != nil {
            throw SGError.usage("--restart-on-change and --signal-on-change exclude each other")
        }
        let watchedReferences = Self.references(vars)
        if watching && watchedReferences.isEmpty {
            throw SGError.usage("--restart-on-change/--signal-on-change: no secret reference to watch")
        }
        if options.signalOnChange != nil {
            // A process cannot see its environment or an inherited memfd change: only files that
            // are replaced on disk (tmpfs) can carry a new value to a running child.
            let inPlace = vars.filter { if case .reference = $0.source { return !$0.asFile }; return false }
            if !options.tmpfsFiles || !inPlace.isEmpty {
                let names = inPlace.map(\.name).prefix(5).joined(separator: ", ")
                throw SGError.usage("--signal-on-change needs every secret handed over as a file with --tmpfs-files"
                    + (names.isEmpty ? "" : " (in the environment: \(names))") + "; use --restart-on-change instead")
            }
        }
        let resolved = try ExecPlan.resolve(vars, resolver: resolver)
        Log.logger.debug("resolved \(resolved.count) variables: \(resolved.map { Log.describe(name: $0.name, secret: $0.value) }.joined(separator: ", "))")

        let path: String
        switch CommandLookup.find(command, path: environment["PATH"]) {
        case .success(let p): path = p
        case .failure(let e): throw e
        }

        let wantsEnvFile = options.wantsEnvFile
        let stays = options.mask || wantsEnvFile || (options.tmpfsFiles && resolved.contains { $0.asFile }) || watching

        // Before any file exists, take over the signals, so an interrupt from here on still
        // ends with the files removed.
        var originalMask = sigset_t()
        if stays {
            var set = ChildProcess.supervisedSignals()
            pthread_sigmask(SIG_BLOCK, &set, &originalMask)
        }
        // Folders of earlier runs that were killed before their clean-up hold secrets: remove them.
        SecretFiles.sweepAbandoned(environment: environment)
        let (first, filePaths) = try launch(resolved, options: options, environment: environment, dropped: dropped)
        defer { first.files.removeAll() }
        if !stays {
            throw ChildProcess.execInPlace(path: path, argv: first.argv, environment: first.environment,
                                           keep: first.files.inheritedFDs, shown: command)
        }
        var rotation: ChildRotation?
        if watching {
            rotation = try Self.rotation(options, vars: vars, resolved: resolved, references: watchedReferences,
                                         resolver: resolver, environment: environment, dropped: dropped,
                                         files: first.files, filePaths: filePaths)
        }
        return try ChildProcess.spawnAndWait(path: path, launch: first, mask: options.mask, rotation: rotation,
                                             originalMask: originalMask, shown: command)
    }

    /// The files, environment and argv of one child, from resolved values; with the paths of the
    /// file secrets by variable name (for `--signal-on-change`).
    static func launch(_ resolved: [ResolvedVariable], options: ExecOptions, environment: [String: String],
                       dropped: Set<String>) throws -> (ChildLaunch, [String: String]) {
        let files = SecretFiles(environment: environment)
        do {
            var setting: [(name: String, value: SecretBytes)] = []
            var paths: [String: String] = [:]
            for v in resolved {
                if v.asFile {
                    let p = options.tmpfsFiles
                        ? try files.tmpfsFile(name: v.name, value: v.value)
                        : try files.memfd(name: v.name, value: v.value)
                    paths[v.name] = p
                    setting.append((v.name, SecretBytes(string: p)))
                } else {
                    setting.append((v.name, v.value))
                }
            }
            if let section = options.section, options.secretsFile != nil {
                setting.append(("SUMMON_ENV", SecretBytes(string: section)))
            }
            var argv = options.command
            if options.wantsEnvFile {
                let listed = setting.filter { $0.name != "SUMMON_ENV" }
                let envFile = try files.tmpfsFile(name: "summon-env", value: ExecPlan.envFileContents(listed))
                argv = [argv[0]] + argv.dropFirst().map { $0.replacingAll(ExecOptions.envFileMarker, with: envFile) }
            }
            let launch = ChildLaunch(argv: CArguments(argv), environment: ChildEnvironment(dropping: dropped, setting: setting),
                                     files: files, secrets: resolved.filter(\.isSecret).map(\.value))
            return (launch, paths)
        } catch {
            files.removeAll()
            throw error
        }
    }

    /// Every distinct reference among the variables, in order.
    static func references(_ vars: [ExecVariable]) -> [SecretReference] {
        var seen: Set<SecretReference> = []
        var out: [SecretReference] = []
        for v in vars { if case .reference(let r) = v.source, seen.insert(r).inserted { out.append(r) } }
        return out
    }

    /// The watcher (on its own thread) and what a change does: fetch every variable again, then a
    /// new launch (restart) or the files rewritten in place (signal).
    static func rotation(_ options: ExecOptions, vars: [ExecVariable], resolved: [ResolvedVariable],
                         references: [SecretReference], resolver: Resolver, environment: [String: String],
                         dropped: Set<String>, files: SecretFiles, filePaths: [String: String]) throws -> ChildRotation {
        let mode: ChildRotation.Mode = options.signalOnChange.map { .signal($0) }
            ?? .restart(stopSignal: options.stopSignal, grace: options.grace)
        let refresh: () -> ChildRotation.Next? = {
            do {
                let fresh = try ExecPlan.resolve(vars, resolver: resolver)
                if case .signal = mode {
                    for v in fresh where v.asFile {
                        if let p = filePaths[v.name] { try files.replace(path: p, value: v.value) }
                    }
                    return .signalled(newSecrets: fresh.filter(\.isSecret).map(\.value))
                }
                return .restart(try launch(fresh, options: options, environment: environment, dropped: dropped).0)
            } catch let e as ExecResolutionError {
                for line in e.lines { Stderr.write("sg-exec: \(line)\n") }
                return nil
            } catch let e as SGError {
                Stderr.write("sg-exec: \(e.message)\n")
                return nil
            } catch {
                Stderr.write("sg-exec: \(error)\n")
                return nil
            }
        }
        let rotation = try ChildRotation(mode: mode, settings: resolver.config.watch, refresh: refresh)
        let watcher = try SecretWatcher(resolver: resolver, references: references, settings: resolver.config.watch,
                                        log: { Stderr.write("sg-exec: \($0)\n") })
        // What the child was given counts as seen: only a later change wakes the supervisor.
        var known: [Int: SecretBytes] = [:]
        for (v, r) in zip(vars, resolved) {
            if case .reference(let ref) = v.source, let i = references.firstIndex(of: ref), r.isSecret { known[i] = r.value }
        }
        let seen = known
        startThread {
            try? watcher.run(stop: StreamStop(), known: seen) { _, _ in rotation.notify() }
        }
        return rotation
    }
}
