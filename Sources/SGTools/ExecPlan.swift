import SGCore
import SGResolver
#if canImport(Glibc)
import Glibc
#endif

/// What `sg-exec` was asked to do, as parsed from its command line.
public struct ExecOptions: Sendable {
    public var command: [String] = []
    /// `-e VAR=REF` (set VAR) and bare `-e VAR` (opt in the inherited VAR), in order.
    public var assignments: [String] = []
    /// `--env-all`: every inherited variable whose value is a reference is resolved.
    public var envAll = false
    /// `--allow-env NAME`: hook variables (``ExecPlan/hookVariables``) a secret may set anyway.
    public var allowEnv: [String] = []
    public var secretsFile: String?
    public var section: String?
    /// `-D KEY=VALUE`.
    public var defines: [String] = []
    public var mask = false
    /// Write `file` secrets to 0600 files on tmpfs (removed at the end) instead of memfds.
    public var tmpfsFiles = false
    /// `--restart-on-change`: stay, and replace the child when a secret it was given rotates.
    public var restartOnChange = false
    /// `--stop-signal`, `--grace`: how the old child is stopped before the new one starts.
    public var stopSignal: Int32 = SIGTERM
    public var grace: Double = 10
    /// `--signal-on-change SIG`: rewrite the `--tmpfs-files` secrets and send SIG instead.
    public var signalOnChange: Int32?

    public init() {}

    /// Summon's magic argument: rewritten to the path of a `VAR=VAL` file.
    public static let envFileMarker = "@SUMMONENVFILE"

    public var wantsEnvFile: Bool { command.dropFirst().contains { $0.contains(Self.envFileMarker) } }
}

/// One variable the child will get: where its value comes from and how it is handed over.
public struct ExecVariable: Sendable {
    public enum Source: Sendable {
        case reference(SecretReference)
        case literal(String)
        /// A reference that did not parse: reported with the fetch failures.
        case invalid(text: String, error: SGError)
    }

    public let name: String
    public let source: Source
    public let asFile: Bool
    public let defaultValue: String?
    /// `-e`, `environment` or `secrets.yml:LINE`: for messages.
    public let origin: String

    public var referenceText: String {
        switch source {
        case .reference(let r): return r.description
        case .literal: return "literal"
        case .invalid(let t, _): return String(t.prefix(64))
        }
    }
}

/// A variable with its value, ready for the child.
public struct ResolvedVariable: Sendable {
    public let name: String
    public let value: SecretBytes
    /// Fetched from Safeguard (masked by `--mask`), as opposed to a literal or a default.
    public let isSecret: Bool
    public let asFile: Bool
}

/// Every reference that could not be fetched, one line each; the exit code is the first one's.
public struct ExecResolutionError: Error, Sendable {
    public struct Failure: Sendable {
        public let variable: String
        public let reference: String
        public let origin: String
        public let error: SGError
    }
    public let failures: [Failure]

    public var lines: [String] {
        failures.map { "\($0.variable) (\($0.reference), from \($0.origin)): \($0.error.message)" }
    }
    public var exitCode: Int32 { failures.first?.error.exitCode.rawValue ?? ExitCode.software.rawValue }
}

/// Which variables the child gets and what the child must not inherit.
public enum ExecPlan {
    /// Variables the child never inherits from sg-exec, whatever config says.
    public static let alwaysDropped: Set<String> = ["SG_KEYRING_PASSPHRASE", "SSLKEYLOGFILE"]

    /// Variables no secret may set, ever: they choose the program and libraries the child runs.
    public static func isForbidden(_ name: String) -> Bool {
        name == "PATH" || name.hasPrefix("LD_")
    }

    /// Interpreter and loader hooks: a value here makes a shell, libc, Python, Node, Perl, Ruby or
    /// Java run code of the value's choosing. A secret may set one only when allowed by name
    /// (`--allow-env NAME`, `exec.allow-env`).
    public static let hookVariables: Set<String> = [
        "BASH_ENV", "ENV", "PROMPT_COMMAND", "IFS", "SHELLOPTS", "BASHOPTS", "PS4",
        "GCONV_PATH", "LOCPATH", "NLSPATH", "GLIBC_TUNABLES",
        "NODE_OPTIONS", "NODE_PATH",
        "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME",
        "PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB",
        "RUBYOPT", "RUBYLIB",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
    ]

    /// Gathers variables from the environment (opted-in names whose value is a reference), then
    /// the secrets file, then `-e VAR=REF`; a later source wins for the same name.
    ///
    /// An inherited variable is resolved only when the user named it: a bare `-e VAR`,
    /// `exec.env` in the config (`optedIn`), or every one with `--env-all`. Any other value that
    /// looks like `sg:…` (a CI job title, a commit message) reaches the child untouched.
    public static func collect(_ options: ExecOptions, environment: [String: String],
                               dropped: Set<String>, optedIn: Set<String> = []) throws -> [ExecVariable] {
        var vars: [ExecVariable] = []
        var index: [String: Int] = [:]
        func add(_ v: ExecVariable) {
            if let i = index[v.name] { vars[i] = v } else { index[v.name] = vars.count; vars.append(v) }
        }

        var named = optedIn
        var assignments: [(name: String, text: String)] = []
        for a in options.assignments {
            let eq = a.firstIndex(of: "=")
            let name = String(a[..<(eq ?? a.endIndex)])
            guard SecretsFile.isValidVariableName(name) else {
                throw SGError.usage("-e expects VAR=REF or VAR (e.g. -e PGPASSWORD=sg:demo-db), got '\(a.prefix(64))'")
            }
            guard let eq else {
                // Bare -e VAR: the inherited VAR, which must exist and may not be one of sg's own.
                let shown = name.prefix(64)
                guard environment[name] != nil else {
                    throw SGError.usage("-e \(shown): \(shown) is not set; give -e \(shown)=REF or export it")
                }
                guard !dropped.contains(name) else {
                    throw SGError.usage("-e \(shown): \(shown) holds one of sg's own secrets and never reaches the child")
                }
                named.insert(name)
                continue
            }
            assignments.append((name, String(a[a.index(after: eq)...])))
        }

        for (name, value) in environment.sorted(by: { $0.key < $1.key })
        where (options.envAll || named.contains(name)) && SecretReference.looksLikeReference(value) && !dropped.contains(name) {
            add(ExecVariable(name: name, source: parseReference(value), asFile: false, defaultValue: nil, origin: "environment"))
        }

        if let path = options.secretsFile {
            var defines: [String: String] = [:]
            for d in options.defines {
                guard let eq = d.firstIndex(of: "="), eq != d.startIndex else {
                    throw SGError.usage("-D expects KEY=VALUE, got '\(d.prefix(64))'")
                }
                defines[String(d[..<eq])] = String(d[d.index(after: eq)...])
            }
            for e in try SecretsFile.load(path, section: options.section, defines: defines) {
                let source: ExecVariable.Source
                switch e.value {
                case .literal(let s): source = .literal(s)
                case .reference(let r): source = .reference(r)
                }
                add(ExecVariable(name: e.name, source: source, asFile: e.asFile, defaultValue: e.defaultValue, origin: e.location))
            }
        } else if !options.defines.isEmpty || options.section != nil {
            throw SGError.usage("-D and --section need a secrets file (-f FILE)")
        }

        for (name, text) in assignments {
            add(ExecVariable(name: name, source: parseReference(text), asFile: false, defaultValue: nil, origin: "-e"))
        }
        return vars
    }

    static func parseReference(_ text: String) -> ExecVariable.Source {
        do { return .reference(try SecretReference(nameOrReference: text)) }
        catch let e as SGError { return .invalid(text: text, error: e) }
        catch { return .invalid(text: text, error: .badReference("\(text.prefix(64))")) }
    }

    /// Refuses variables that would choose the code the child runs: `PATH` and `LD_*` always,
    /// the interpreter and loader hooks unless `allowed` names them.
    public static func checkAllowed(_ vars: [ExecVariable], allowed: Set<String> = []) throws {
        for v in vars where isForbidden(v.name) {
            throw SGError.usage("refusing to set \(v.name) (from \(v.origin)): sg-exec never lets a secret set PATH or LD_* variables")
        }
        for v in vars where hookVariables.contains(v.name) && !allowed.contains(v.name) {
            throw SGError.usage("refusing to set \(v.name) (from \(v.origin)): it makes interpreters run code of its choosing; " +
                                "allow it by name with --allow-env \(v.name) or exec.allow-env in the config")
        }
    }

    /// The hook variables the user allowed: `--allow-env` plus `exec.allow-env`. `PATH` and
    /// `LD_*` cannot be allowed.
    public static func allowedHooks(_ options: ExecOptions, config: ExecConfig) throws -> Set<String> {
        for name in options.allowEnv where isForbidden(name) {
            throw SGError.usage("--allow-env \(name.prefix(64)): PATH and LD_* can never be set from a secret")
        }
        for name in config.allowEnv where isForbidden(name) {
            throw SGError.config("exec.allow-env: PATH and LD_* can never be set from a secret (remove \(name))")
        }
        return config.allowEnv.union(options.allowEnv)
    }

    /// Fetches every reference in parallel over the resolver's pools. Nothing is returned unless
    /// all succeed.
    public static func resolve(_ vars: [ExecVariable], resolver: Resolver) throws -> [ResolvedVariable] {
        var refs: [SecretReference] = []
        for v in vars { if case .reference(let r) = v.source { refs.append(r) } }
        let results = resolver.resolveAll(refs)
        var next = 0
        var out: [ResolvedVariable] = []
        var failures: [ExecResolutionError.Failure] = []
        for v in vars {
            func fail(_ e: SGError) {
                failures.append(.init(variable: v.name, reference: v.referenceText, origin: v.origin, error: e))
            }
            switch v.source {
            case .invalid(_, let e):
                fail(e)
            case .literal(let s):
                let value = s.isEmpty && v.defaultValue != nil ? v.defaultValue! : s
                out.append(ResolvedVariable(name: v.name, value: SecretBytes(string: value), isSecret: false, asFile: v.asFile))
            case .reference:
                let result = results[next]
                next += 1
                switch result {
                case .failure(let e):
                    fail(e)
                case .success(let secret):
                    if secret.value.isEmpty, let d = v.defaultValue {
                        out.append(ResolvedVariable(name: v.name, value: SecretBytes(string: d), isSecret: false, asFile: v.asFile))
                    } else if !v.asFile && secret.value.withUnsafeBytes({ $0.contains(0) }) {
                        fail(.malformedInput("the value holds a NUL byte, which no environment variable can carry; hand it over as a file (!var:file)"))
                    } else {
                        out.append(ResolvedVariable(name: v.name, value: secret.value, isSecret: true, asFile: v.asFile))
                    }
                }
            }
        }
        if !failures.isEmpty { throw ExecResolutionError(failures: failures) }
        return out
    }

    /// The `VAR=VAL` lines of summon's `@SUMMONENVFILE`: sorted, a value with spaces, quotes,
    /// backslashes or control characters written as a Go `strconv.Quote` string.
    public static func envFileContents(_ entries: [(name: String, value: SecretBytes)]) -> SecretBytes {
        let out = SecretBuffer()
        for (name, value) in entries.sorted(by: { $0.name < $1.name }) {
            out.append(name)
            out.append("=")
            let needsQuote = value.withUnsafeBytes { raw in
                raw.contains { $0 == 0x20 || $0 == 0x22 || $0 == 0x27 || $0 == 0x5C || $0 < 0x20 || $0 == 0x7F }
            }
            if needsQuote { out.append(goQuote(value)) } else { out.append(value) }
            out.append("\n")
        }
        return out.take()
    }

    /// Go's `strconv.Quote`: printable UTF-8 kept, `"` and `\` escaped, controls as `\n`, `\t`, `\xNN`.
    static func goQuote(_ value: SecretBytes) -> SecretBytes {
        let out = SecretBuffer()
        out.append([0x22])
        value.withUnsafeBytes { raw in
            let hex = Array("0123456789abcdef".utf8)
            for b in raw {
                switch b {
                case 0x22: out.append([0x5C, 0x22])
                case 0x5C: out.append([0x5C, 0x5C])
                case 0x07: out.append([0x5C, UInt8(ascii: "a")])
                case 0x08: out.append([0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append([0x5C, UInt8(ascii: "f")])
                case 0x0A: out.append([0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append([0x5C, UInt8(ascii: "r")])
                case 0x09: out.append([0x5C, UInt8(ascii: "t")])
                case 0x0B: out.append([0x5C, UInt8(ascii: "v")])
                case 0..<0x20, 0x7F: out.append([0x5C, UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: out.append([b])
                }
            }
        }
        out.append([0x22])
        return out.take()
    }
}
