import ArgumentParser
import SGCore
import SGKeyring
import SGResolver

/// sg-token: the token cache every sg tool shares (docs/keyring.md).
struct SGToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-token",
        abstract: "Log in, and read or clear the cached Safeguard / CyberArk Identity tokens.",
        discussion: """
        Without --method, login uses the profile's 'login:', else certificate for a profile with a \
        client certificate and no username, else pkce (CyberArk Identity: identity, or \
        identity-service for a service user). Times are printed in local time with their UTC offset.
        \(ToolHelp.footer)
        """,
        version: SGVersion.line("sg-token"),
        subcommands: [Login.self, Get.self, Status.self, List.self, Clear.self, Logout.self])
}

struct ProfileOption: ParsableArguments {
    @Option(name: [.short, .long], help: "The profile (default: SG_PROFILE, default-profile, or the only one).")
    var profile: String?

    func resolve(_ config: Config) throws -> Profile {
        try Self.resolve(profile, config)
    }

    static func resolve(_ name: String?, _ config: Config) throws -> Profile {
        try name.map { try config.profile($0) } ?? config.defaultProfile()
    }

    static let spellings = ["profile": ["-p", "--profile"]]
}

/// Config and the token cache over the configured keyring, as every subcommand needs them.
struct Context {
    let config: Config
    let tokens: TokenAccess
    var cache: TokenCache { tokens.cache }

    init() throws {
        let env = Environment.current   // read once, not by each step's default argument
        config = try ConfigLoader.load(environment: env)
        tokens = try TokenAccess(config: config, environment: env)
    }

    func report(_ rows: [TokenReport.Row]) throws -> TokenReport {
        let locked = try (tokens.backend as? SecretServiceKeyring)?.isLocked()
        return TokenReport(backend: tokens.choice.kind.rawValue, location: tokens.backend.location, reason: tokens.choice.reason,
                           locked: locked, rows: rows)
    }
}

extension SGToken {
    struct Login: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log in and cache the token.")
        @OptionGroup var options: ProfileOption
        @Option(help: "pkce | password | certificate | identity | identity-service")
        var method: String?

        func validate() throws {
            let methods = ["pkce", "password", "certificate", "identity", "identity-service"]
            if let m = method, !methods.contains(m) {
                throw ValidationError("--method must be one of \(methods.joined(separator: ", "))")
            }
        }

        func run() throws {
            try runSubcommand {
                let ctx = try Context()
                let profile = try options.resolve(ctx.config)
                let authority = TokenAuthorities.make(for: profile)
                let token = try authority.login(method: method)
                try ctx.cache.put(token, profile: TokenReport.account(of: profile), authority: authority)
                Stderr.write("sg-token: logged in to \(profile.name); token cached until \(token.expiresIn.map(\.localDisplay) ?? "revoked")\n")
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a valid access token (refreshed or renewed when possible).")
        @OptionGroup var options: ProfileOption

        func run() throws {
            try runSubcommand { try Self.execute(profile: options.profile) }
        }

        static func execute(profile name: String?) throws {
            let ctx = try Context()
            let profile = try ProfileOption.resolve(name, ctx.config)
            let token = try ctx.tokens.get(profile, prompter: TerminalPrompt())
            SecretOutput.write(token.token, newline: true)
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The keyring in use and each profile's token state (no token values).")
        @OptionGroup var options: ProfileOption
        @Flag(help: "JSON output.") var json = false

        func run() throws {
            try runSubcommand { try Self.execute(profile: options.profile, json: json) }
        }

        static func execute(profile: String?, json: Bool) throws {
            let ctx = try Context()
            let profiles = try profile.map { [try ctx.config.profile($0)] } ?? Array(ctx.config.profiles.values)
            let report = try ctx.report(try TokenReport.status(profiles: profiles, store: ctx.cache.store))
            print(json ? report.json() : report.table(showBackend: true), terminator: "")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every cached sg / Ark token in the keyring (no token values).")
        @Flag(help: "JSON output.") var json = false

        func run() throws {
            try runSubcommand {
                let ctx = try Context()
                let report = try ctx.report(try TokenReport.list(profiles: Array(ctx.config.profiles.values), store: ctx.cache.store))
                print(json ? report.json() : report.table(showBackend: false), terminator: "")
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete cached tokens: a profile's, or --all.")
        @OptionGroup var options: ProfileOption
        @Flag(help: "Every sg and Ark token in the keyring.") var all = false

        func validate() throws {
            if all && options.profile != nil { throw ValidationError("give -p PROFILE or --all, not both") }
        }

        func run() throws {
            try runSubcommand {
                let ctx = try Context()
                let keys = all ? try ctx.cache.store.list().map(\.key)
                               : TokenKey.candidates(for: try options.resolve(ctx.config))
                let removed = try keys.filter { try ctx.cache.store.remove($0) }.count
                Stderr.write("sg-token: removed \(removed) token\(removed == 1 ? "" : "s")\n")
            }
        }
    }

    struct Logout: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log out on the appliance (Safeguard) and forget a profile's token.")
        @OptionGroup var options: ProfileOption

        func run() throws {
            try runSubcommand {
                let ctx = try Context()
                let profile = try options.resolve(ctx.config)
                var serverSide = 0
                // Server-side logout first (best effort), so the token is dead, not just forgotten.
                let authority = TokenAuthorities.make(for: profile, prompter: NoPrompt())
                for key in TokenKey.candidates(for: profile) {
                    if case .token(let token)? = try? ctx.cache.store.peek(key), authority.logout(token) { serverSide += 1 }
                }
                let removed = try TokenKey.candidates(for: profile).filter { try ctx.cache.store.remove($0) }.count
                let server = serverSide > 0 ? ", revoked on the appliance" : ""
                Stderr.write("sg-token: logged out of \(profile.name) (\(removed) token\(removed == 1 ? "" : "s") removed\(server))\n")
            }
        }
    }
}

/// Runs a subcommand body in `Tool.run`, so errors become one line and a sysexits code.
func runSubcommand(_ body: () throws -> Void) throws {
    Tool.run("sg-token") { try body(); return 0 }
}

extension SGToken {
    /// `get` and `status`, which scripts and prompts run often, without ArgumentParser
    /// (QuickArguments); every other form goes through it.
    static func quick(_ args: [String]) -> (() throws -> Void)? {
        if let q = QuickArguments.match(args, subcommand: "get", options: ProfileOption.spellings) {
            return { try Get.execute(profile: q.options["profile"]) }
        }
        if let q = QuickArguments.match(args, subcommand: "status", options: ProfileOption.spellings, flags: ["json": ["--json"]]) {
            return { try Status.execute(profile: q.options["profile"], json: q.flags.contains("json")) }
        }
        return nil
    }
}
