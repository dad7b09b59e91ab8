import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// What sg-askpass should do about a classified prompt.
public enum AskpassDecision: Equatable, Sendable {
    /// Fetch this secret and print it (after `AskpassPolicy.validateAnswer`).
    case secret(name: String)
    /// Print this text (a user name from config; not a secret).
    case text(String)
    /// Approve a confirmation: exit 0 and print `yes`.
    case approve
    /// Print nothing, exit non-zero, and say why on stderr.
    case refuse(String)

    /// The exit status for a refusal; ssh and git treat any non-zero status as "no answer".
    public static let refusalExitCode: Int32 = 1
}

/// Decides which secret answers a prompt, from the `ssh:` and `git:` sections of config
/// (docs/config.md). It answers only what config maps; host-key questions, unmapped
/// confirmations and every retry are refused, so ssh-add can never loop on a wrong passphrase.
///
/// sg-askpass is then a short script:
///
///     let prompt = AskpassPrompt.classify(arg, hint: env["SSH_ASKPASS_PROMPT"])
///     switch AskpassPolicy.decide(prompt, config: config, environment: env) {
///     case .secret(let name): let s = try resolver.fetch(name); try AskpassPolicy.validateAnswer(s); write s + "\n"
///     case .text(let t): print(t)
///     case .approve: print("yes")
///     case .refuse(let why): stderr(why); exit(AskpassDecision.refusalExitCode)
///     }
public enum AskpassPolicy {
    /// Set by `sg-ssh-key add` for the `ssh-add -` it runs: the secret holding the passphrase of
    /// the key on ssh-add's stdin (shown by ssh-add as `(stdin)`).
    public static let stdinKeySecretVariable = "SG_ASKPASS_KEY_SECRET"

    /// ssh reads at most 1023 bytes of the answer and cuts it at CR/LF.
    public static let maximumAnswer = 1023

    public static func decide(_ prompt: AskpassPrompt, config: Config, environment: [String: String] = [:]) -> AskpassDecision {
        switch prompt {
        case .keyPassphrase(let key, _):
            if key == "(stdin)" {
                if let name = environment[stdinKeySecretVariable], SecretReference.isValidName(name) { return .secret(name: name) }
                return .refuse("key passphrase for ssh-add's stdin: no \(stdinKeySecretVariable) set")
            }
            if let rule = config.ssh.keys.first(where: { Glob.matches($0.pathGlob, key, pathname: true) }) {
                return .secret(name: rule.secret)
            }
            return .refuse("no ssh.keys rule matches key \(key)")
        case .badPassphrase(let key):
            return .refuse("the passphrase for \(key) was wrong; not retrying (check the secret in Safeguard)")
        case .password(let user, let host):
            return passwordRule(user: user, host: host, config: config)
        case .keyboardInteractive(let user, let host, let text):
            guard isPasswordPrompt(text) else {
                return .refuse("keyboard-interactive prompt from \(user)@\(host) is not a password prompt; not answered")
            }
            return passwordRule(user: user, host: host, config: config)
        case .passwordChange:
            return .refuse("password change prompts are never answered")
        case .gitUsername(let url), .gitPassword(let url):
            guard let parsed = GitURL(url) else { return .refuse("git prompt with an unreadable URL") }
            // The same rules, and the same matching, as git-credential-sg.
            let request = GitCredential(protocol: parsed.scheme, host: parsed.host,
                                        path: parsed.path.isEmpty ? nil : parsed.path, username: parsed.user)
            guard let match = GitRules(config.git, secrets: config.secrets).match(request) else {
                return .refuse("no git rule matches \(parsed.scheme)://\(parsed.host)")
            }
            if case .gitPassword = prompt { return .secret(name: match.rule.secret) }
            if let u = match.username { return .text(u) }
            return .refuse("no username configured for \(parsed.scheme)://\(parsed.host) (set username on the rule or the secret)")
        case .agentConfirm(let comment, let fingerprint):
            if config.ssh.confirm.contains(where: { Glob.matches($0.keyGlob, fingerprint, pathname: false) }) { return .approve }
            return .refuse("use of key \(comment) (\(fingerprint)) is not approved by any ssh.confirm rule")
        case .confirm:
            return .refuse("confirmation prompts other than ssh-agent key use are never approved")
        case .notification:
            return .refuse("notification only")
        case .hostKey:
            return .refuse("host-key questions are never answered: add the host key to known_hosts")
        case .unknown:
            return .refuse("prompt not recognised; not answered")
        }
    }

    /// Refuses an answer ssh would mangle: longer than 1023 bytes, or holding CR, LF or NUL.
    public static func validateAnswer(_ answer: SecretBytes) throws {
        guard answer.count <= maximumAnswer else {
            throw SGError.malformedInput("the secret is \(answer.count) bytes; ssh reads at most \(maximumAnswer)")
        }
        guard !answer.containsLineBreakOrNUL else {
            throw SGError.malformedInput("the secret contains a line break or NUL; ssh would cut it")
        }
    }

    private static func passwordRule(user: String, host: String, config: Config) -> AskpassDecision {
        let target = "\(user)@\(host)"
        if let rule = config.ssh.passwords.first(where: { Glob.matches($0.match, target, pathname: false) }) {
            return .secret(name: rule.secret)
        }
        return .refuse("no ssh.passwords rule matches \(target)")
    }

    /// PAM's `Password: ` and the like; OTP and other questions are not passwords.
    static func isPasswordPrompt(_ text: String) -> Bool {
        var t = text.trimmingASCIIWhitespace().lowercased()
        guard t.hasSuffix(":") else { return false }
        t.removeLast()
        t = t.trimmingASCIIWhitespace()
        if t == "password" { return true }
        // "user@host's password" / "user's password" as some PAM modules word it.
        if t.hasSuffix("'s password"), t.split(separator: " ").count == 2 { return true }
        return false
    }
}

/// Shell-style globs (`fnmatch`), as config's `path`, `match` and `key` fields are written.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String, pathname: Bool) -> Bool {
        fnmatch(pattern, text, pathname ? FNM_PATHNAME : 0) == 0
    }
}

