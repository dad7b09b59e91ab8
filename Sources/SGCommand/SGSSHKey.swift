import ArgumentParser
import SGCore
import SGResolver
import SGTools
import SGSSH
#if canImport(Glibc)
import Glibc
#endif

/// sg-ssh-key: SSH private keys from Safeguard into ssh-agent, a file, or stdout.
struct SGSSHKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-ssh-key",
        abstract: "Fetch SSH private keys from Safeguard (A2A) into ssh-agent, a file or stdout.",
        discussion: """
        NAME is a secret of kind private-key in the sg config (man sg-config). Nothing is printed \
        on stdout except what was asked; errors are one line on stderr with a sysexits code. No \
        terminal is ever needed: a passphrase comes from the secret's 'passphrase:' secret.
        \(ToolHelp.footer)
        """,
        version: SGVersion.line("sg-ssh-key"),
        subcommands: [Add.self, Fetch.self, Print.self, Public.self])
}

struct FormatOption: ParsableArguments {
    @Option(help: "Key format asked of the appliance: openssh, ssh2 or putty (default: the secret's 'format').")
    var format: String?

    var keyFormat: KeyFormat? { format.flatMap { KeyFormat(rawValue: $0.lowercased()) } }

    func validate() throws {
        if let format, KeyFormat(rawValue: format.lowercased()) == nil {
            throw ValidationError("--format must be openssh, ssh2 or putty")
        }
    }

    /// add and public read the key, which only the OpenSSH format allows (no local converters).
    func requireOpenSSH(_ verb: String) throws {
        if let f = keyFormat, f != .openssh { throw ValidationError("\(verb) needs the openssh format") }
    }
}

extension SGSSHKey {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the key to ssh-agent (SSH_AUTH_SOCK); it never touches disk.",
            discussion: """
            The key is added with the comment sg:NAME. An encrypted PEM key is decrypted with the \
            secret's passphrase; an encrypted OpenSSH key is handed to 'ssh-add -' with sg-askpass \
            (beside this program, else on PATH) answering its passphrase. Prints nothing on success.
            """)
        @Argument(help: "The private-key secret.") var name: String
        @Option(name: .short, help: "Lifetime in the agent: seconds or a time like 30m, 1h30m.") var t: String?
        @Flag(name: .short, help: "Ask the agent to confirm each use of the key (through its SSH_ASKPASS).") var c = false
        @Flag(help: "Stay and keep the agent current: on each rotation add the new key and remove the old one (watch: in the config).")
        var watch = false
        @OptionGroup var options: FormatOption

        func validate() throws {
            try options.requireOpenSSH("add")
            if let t {
                do { _ = try SSHLifetime.parse(t) } catch let e as SGError { throw ValidationError(e.message) }
            }
        }

        func run() throws {
            let lifetime = try t.map(SSHLifetime.parse)
            let tool = SSHKeyTool(resolver: try ToolContext.resolver())
            guard watch else {
                try tool.add(name, lifetime: lifetime, confirm: c)
                return
            }
            let stop = StreamStop()
            WatchStop.install(stop)
            try tool.addAndFollow(name, lifetime: lifetime, confirm: c, settings: tool.resolver.config.watch, stop: stop,
                                  log: { Stderr.write("sg-ssh-key: \($0)\n") })
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the key to a file (mode 0600, with FILE.pub), or print it.",
            discussion: """
            With -o FILE the key is written atomically as the appliance served it (still encrypted \
            if it was), mode 0600, and FILE.pub (0644) holds 'TYPE BASE64 sg:NAME'. A symbolic link \
            at FILE or FILE.pub is refused. If the public key cannot be derived (an encrypted key \
            with no passphrase secret), FILE is written and a warning says why FILE.pub was not. \
            Without -o the key is printed on stdout, like print.
            """)
        @Argument(help: "The private-key secret.") var name: String
        @Option(name: .short, help: "The file to write.") var o: String?
        @OptionGroup var options: FormatOption

        func run() throws {
            let tool = SSHKeyTool(resolver: try ToolContext.resolver())
            guard let o else {
                SecretOutput.write(try tool.fetch(name, format: options.keyFormat), newline: true)
                return
            }
            if let warning = try tool.write(name, format: options.keyFormat, to: o) {
                Stderr.write("sg-ssh-key: warning: \(warning)\n")
            }
        }
    }

    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the key on stdout, as the appliance served it.")
        @Argument(help: "The private-key secret.") var name: String
        @OptionGroup var options: FormatOption

        func run() throws {
            let tool = SSHKeyTool(resolver: try ToolContext.resolver())
            SecretOutput.write(try tool.fetch(name, format: options.keyFormat), newline: true)
        }
    }

    struct Public: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public key and its fingerprint.",
            discussion: """
            Prints two lines on stdout:
              TYPE BASE64 sg:NAME
                  the authorized_keys line (also FILE.pub of fetch -o)
              BITS SHA256:FINGERPRINT sg:NAME (TYPE)
                  exactly what 'ssh-keygen -lf FILE.pub' prints
            --fingerprint prints only the SHA256:FINGERPRINT, --key only the first line.
            """)
        @Argument(help: "The private-key secret.") var name: String
        @Flag(help: "Print only the SHA256 fingerprint.") var fingerprint = false
        @Flag(help: "Print only the authorized_keys line.") var key = false
        @OptionGroup var options: FormatOption

        func validate() throws {
            try options.requireOpenSSH("public")
            if fingerprint && key { throw ValidationError("--fingerprint and --key exclude each other") }
        }

        func run() throws {
            let pub = try SSHKeyTool(resolver: try ToolContext.resolver()).publicKey(name)
            if fingerprint { print(pub.fingerprint) }
            else if key { print(pub.authorizedKeysLine) }
            else { print(pub.authorizedKeysLine + "\n" + pub.listingLine) }
        }
    }
}

/// SIGTERM/SIGINT end `add --watch` between rotations.
enum WatchStop {
    nonisolated(unsafe) static var stop: StreamStop?
    static func install(_ s: StreamStop) {
        stop = s
        for sig in [SIGTERM, SIGINT] { signal(sig) { _ in WatchStop.stop?.stop() } }
    }
}
