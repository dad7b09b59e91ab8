import SGCore
import SGKeyring
import SGResolver
import SGSSH
import SGTransport
#if canImport(Glibc)
import Glibc
#endif

/// What `sg-doctor` checks, in the order a newcomer's setup breaks: the config and its files,
/// each appliance (DNS, TCP, TLS with the profile's CA and client certificate), each secret's
/// API key (one A2A call each, in parallel), the keyring, ssh-agent and git's settings.
/// No check prints a secret value: a secret is reported by name only.
///
///     let report = Doctor(environment: Environment.current).run()
///     for c in report { print(c.line) }
public struct Doctor {
    /// One line of the report.
    public struct Check: Sendable {
        public enum Outcome: Sendable, Equatable { case ok, problem(ExitCode), skipped }
        public let subject: String
        public let outcome: Outcome
        /// What was found (ok) or what is wrong and how to fix it (problem).
        public let detail: String

        public var line: String {
            switch outcome {
            case .ok: return "ok       \(subject): \(detail)"
            case .problem: return "PROBLEM  \(subject): \(detail)"
            case .skipped: return "skipped  \(subject): \(detail)"
            }
        }

        static func ok(_ subject: String, _ detail: String) -> Check { Check(subject: subject, outcome: .ok, detail: detail) }
        /// A check that failed with `error`; an error that is not sg's own is named by its type
        /// only, as every tool reports one (its text could hold anything).
        static func problem(_ subject: String, _ error: any Error) -> Check {
            let e = error as? SGError ?? .internalError(String(describing: type(of: error)))
            return Check(subject: subject, outcome: .problem(e.exitCode), detail: e.message)
        }
        static func problem(_ subject: String, _ detail: String, _ code: ExitCode = .config) -> Check {
            Check(subject: subject, outcome: .problem(code), detail: detail)
        }
    }

    public let environment: [String: String]
    /// Seconds each network check may take.
    public var timeout: Double = 5

    public init(environment: [String: String] = Environment.current) {
        self.environment = environment
    }

    /// Runs every check; the exit status is 0 only when no check found a problem.
    public func run() -> [Check] {
        let config: Config
        do {
            config = try ConfigLoader.load(environment: environment)
        } catch {
            return [.problem("config", error)]
        }
        var checks: [Check] = []
        if config.files.isEmpty {
            checks.append(.problem("config", "no config file: \(config.readSummary); write one (man sg-config; /usr/share/doc/sg/examples/config.yaml)"))
            return checks
        }
        checks.append(.ok("config", config.readSummary))
        checks += fileChecks(config)
        for name in config.profiles.keys.sorted() {
            checks += applianceChecks(config.profiles[name]!)
        }
        checks += secretChecks(config)
        checks.append(keyringCheck(config))
        checks.append(agentCheck(config))
        checks += gitChecks(config)
        return checks
    }

    /// The status `sg-doctor` exits with: 0, or the code of the first problem.
    public static func exitCode(_ checks: [Check]) -> ExitCode {
        for c in checks { if case .problem(let code) = c.outcome { return code } }
        return .ok
    }

    // MARK: files

    /// Every file the config names: present, owned by the user, not writable by others; files
    /// holding secrets (keys, API keys) not readable by others either; CA files hold PEM.
    func fileChecks(_ config: Config) -> [Check] {
        var files: [(path: String, secret: Bool, what: String)] = []
        for (name, profile) in config.profiles.sorted(by: { $0.key < $1.key }) {
            let tls = profile.tls
            if let ca = tls.caFile { files.append((ca, false, "ca of profile \(name)")) }
            switch tls.client {
            case .pem(let cert, let key, let pass)?:
                files.append((cert, false, "client certificate of profile \(name)"))
                files.append((key, true, "client key of profile \(name)"))
                if case .file(let p)? = pass { files.append((p, true, "client key passphrase of profile \(name)")) }
            case .pkcs12(let path, let pass)?:
                files.append((path, true, "PKCS#12 of profile \(name)"))
                if case .file(let p)? = pass { files.append((p, true, "PKCS#12 passphrase of profile \(name)")) }
            case nil: break
            }
        }
        for (name, spec) in config.secrets.sorted(by: { $0.key < $1.key }) {
            if case .file(let p)? = spec.apiKey { files.append((p, true, "API key of secret \(name)")) }
        }
        return files.map { f in
            do {
                try FileSafety.check(f.path, holdsSecrets: f.secret)
                if f.secret {
                    guard try FileSafety.readSecret(f.path).count > 0 else { return .problem(f.what, "\(f.path) is empty") }
                } else if f.what.hasPrefix("ca "), !PEMArmor.contains(try FileSafety.readBytes(f.path), label: "CERTIFICATE") {
                    return .problem(f.what, "\(f.path) holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert a DER file: openssl x509 -inform der -in FILE -out ca.pem")
                }
                return .ok(f.what, f.path)
            } catch let e as SGError {
                return .problem(f.what, e)
            } catch {
                return .problem(f.what, "\(f.path): \(error)")
            }
        }
    }

    // MARK: appliances

    /// DNS, then TCP, then one HTTPS request with the profile's CA and client certificate: any
    /// HTTP answer means the server certificate verified, named the host and took ours.
    func applianceChecks(_ profile: Profile) -> [Check] {
        let targets: [Appliance]
        switch profile {
        case .safeguard(let p): targets = p.appliances
        case .identity(let p):
            guard let a = Self.appliance(ofURL: p.tenantURL) else { return [.problem("profile \(p.name)", "tenant \(p.tenantURL) is not an https URL")] }
            targets = [a]
        }
        var checks: [Check] = []
        for a in targets {
            let subject = "appliance \(a) (profile \(profile.name))"
            if let failure = Self.resolve(a.host) {
                checks.append(.problem(subject, "no such host name (\(failure)): check the name in 'appliances:' and DNS", .unavailable))
                continue
            }
            if let failure = Self.connect(a, timeout: timeout) {
                checks.append(.problem(subject, failure, .unavailable))
                continue
            }
            do {
                var tls = profile.tls
                tls.totalTimeout = min(tls.totalTimeout, timeout)
                let client = try HTTPClient(appliances: [a], tls: tls, profileName: profile.name)
                client.retry.maxAttempts = 1
                let response = try client.send(HTTPRequest(.get, "/service/appliance/v4/SystemTime"))
                let cert = client.hasClientCertificate ? "; client certificate accepted" : ""
                checks.append(.ok(subject, "DNS, TCP and TLS (server certificate verified for \(a.host)\(cert)); HTTP \(response.status)"))
            } catch {
                checks.append(.problem(subject, error))
            }
        }
        return checks
    }

    static func appliance(ofURL url: String) -> Appliance? {
        guard url.hasPrefix("https://") else { return nil }
        let rest = url.dropFirst("https://".count).prefix { $0 != "/" }
        let parts = rest.split(separator: ":")
        if parts.count == 2, let port = Int(parts[1]) { return Appliance(host: String(parts[0]), port: port) }
        return Appliance(host: String(rest))
    }

    /// nil when the name resolves, else getaddrinfo's words.
    static func resolve(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        return rc == 0 ? nil : String(cString: gai_strerror(rc))
    }

    /// nil when a TCP connection to the appliance opens within `timeout`, else what went wrong.
    static func connect(_ a: Appliance, timeout: Double) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(a.host, String(a.port), &hints, &result) == 0, let first = result else { return "cannot resolve \(a.host)" }
        defer { freeaddrinfo(first) }
        var lastError: Int32 = 0
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            node = n.pointee.ai_next
            let fd = socket(n.pointee.ai_family, n.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), n.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            defer { close(fd) }
            if Glibc.connect(fd, n.pointee.ai_addr, n.pointee.ai_addrlen) == 0 { return nil }
            guard errno == EINPROGRESS else { lastError = errno; continue }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, Int32(timeout * 1000)) == 1 else { lastError = ETIMEDOUT; continue }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err == 0 { return nil }
            lastError = err
        }
        if lastError == ECONNREFUSED {
            return "nothing listens on \(a.host):\(a.port) (connection refused): check the port in 'appliances:' (the appliance's API is on 443)"
        }
        if lastError == ETIMEDOUT {
            return "no answer from \(a.host):\(a.port) within \(Int(timeout)) s: a firewall, or the appliance's IP restrictions for A2A"
        }
        return "cannot connect to \(a.host):\(a.port): \(String(cString: strerror(lastError)))"
    }

    // MARK: secrets

    /// One A2A call per secret, in parallel over the profile's pool; values are dropped unread.
    func secretChecks(_ config: Config) -> [Check] {
        let names = config.secrets.keys.sorted().filter { config.secrets[$0]?.kind != .token }
        guard !names.isEmpty else { return [.init(subject: "secrets", outcome: .skipped, detail: "none defined")] }
        // Each call gets `timeout`, not the profile's whole deadline: a doctor that waits 30 s
        // per unreachable appliance or 503 is not run twice.
        var bounded = config
        for (name, profile) in config.profiles {
            switch profile {
            case .safeguard(var p):
                p.tls.totalTimeout = min(p.tls.totalTimeout, timeout)
                bounded.profiles[name] = .safeguard(p)
            case .identity(var p):
                p.tls.totalTimeout = min(p.tls.totalTimeout, timeout)
                bounded.profiles[name] = .identity(p)
            }
        }
        let resolver: Resolver
        do {
            resolver = try ToolContext.resolver(config: bounded)
        } catch {
            return [.problem("secrets", error)]
        }
        // One secret per profile first: an appliance that is down or an A2A service that is off
        // fails every secret of the profile alike, so it is said once, not once per secret after
        // each one's retries.
        var byProfile: [String: [String]] = [:]
        var checks: [String: Check] = [:]
        for name in names {
            guard let spec = config.secrets[name], let profile = try? config.profile(for: spec) else {
                checks[name] = Self.secretCheck(name, resolver.resolveAll([.named(name, field: nil)])[0])
                continue
            }
            byProfile[profile.name, default: []].append(name)
        }
        var rest: [String] = []
        for (profile, members) in byProfile {
            let first = members[0]
            let result = resolver.resolveAll([.named(first, field: nil)])[0]
            checks[first] = Self.secretCheck(first, result)
            if case .failure(let e) = result, Self.isProfileWide(e) {
                for other in members.dropFirst() {
                    checks[other] = Check(subject: "secret \(other)", outcome: .skipped, detail: "not checked: profile \(profile) failed above")
                }
            } else {
                rest += members.dropFirst()
            }
        }
        for (name, result) in zip(rest, resolver.resolveAll(rest.map { .named($0, field: nil) })) {
            checks[name] = Self.secretCheck(name, result)
        }
        return names.compactMap { checks[$0] }
    }

    static func secretCheck(_ name: String, _ result: Result<ResolvedSecret, SGError>) -> Check {
        switch result {
        case .success: return .ok("secret \(name)", "the API key is accepted")
        case .failure(let e): return .problem("secret \(name)", e)
        }
    }

    /// Failures that are about the profile's appliances, not the one secret's API key.
    static func isProfileWide(_ e: SGError) -> Bool {
        switch e {
        case .unreachable, .serviceUnavailable, .timeout, .retriesExhausted, .untrustedServer: return true
        case .config(let m): return !m.contains("API key")
        default: return false
        }
    }

    // MARK: keyring, agent, git

    func keyringCheck(_ config: Config) -> Check {
        do {
            let choice = try KeyringSelection.choose(config: config.keyring, environment: environment)
            let backend = try KeyringSelection.make(choice, config: config.keyring, environment: environment)
            if let ss = backend as? SecretServiceKeyring, try ss.isLocked() {
                return .problem("keyring", "\(backend.location) is LOCKED (\(choice.reason)): unlock it in the desktop session, or use SG_KEYRING=file", .unavailable)
            }
            return .ok("keyring", "\(choice.kind.rawValue): \(backend.location) (\(choice.reason))")
        } catch {
            return .problem("keyring", error)
        }
    }

    func agentCheck(_ config: Config) -> Check {
        let needed = config.secrets.values.contains { $0.kind == .privateKey }
        guard let sock = environment["SSH_AUTH_SOCK"], !sock.isEmpty else {
            return needed ? .problem("ssh-agent", "SSH_AUTH_SOCK is not set: start one with: eval \"$(ssh-agent)\"", .unavailable)
                          : .init(subject: "ssh-agent", outcome: .skipped, detail: "SSH_AUTH_SOCK is not set and no private-key secret needs it")
        }
        do {
            let keys = try SSHAgentClient(socketPath: sock, timeout: timeout).list()
            return .ok("ssh-agent", "\(sock) answers (\(keys.count) keys)")
        } catch let e as SGError {
            return .problem("ssh-agent", e)
        } catch {
            return .problem("ssh-agent", "\(sock): \(error)", .unavailable)
        }
    }

    /// git must call sg (credential.helper) and, for rules with a path, send the path
    /// (credential.useHttpPath), else git's requests never match those rules.
    func gitChecks(_ config: Config) -> [Check] {
        guard !config.git.rules.isEmpty else { return [.init(subject: "git", outcome: .skipped, detail: "no git.rules")] }
        func get(_ args: [String]) -> String? {
            guard let r = try? Subprocess.capture(["git", "config"] + args, environment: environment, timeout: timeout), r.status == 0 else { return nil }
            return String(decoding: r.stdout.withUnsafeBytes { Array($0) }, as: UTF8.self)
        }
        var checks: [Check] = []
        let helpers = (get(["--get-all", "credential.helper"]) ?? "").split(separator: "\n")
        if helpers.contains(where: { $0 == "sg" || $0.hasSuffix("git-credential-sg") }) {
            checks.append(.ok("git credential.helper", "sg"))
        } else {
            checks.append(.problem("git credential.helper", "git does not call sg: run: git config --global credential.helper sg"))
        }
        let pathRules = GitRules(config.git).rules.filter { !$0.pattern.path.isEmpty }
        if let first = pathRules.first {
            let on = get(["--type=bool", "--get", "credential.useHttpPath"])?.hasPrefix("true") ?? false
            checks.append(on ? .ok("git credential.useHttpPath", "true (\(pathRules.count) rules have a path)")
                             : .problem("git credential.useHttpPath", "rule \(first.rule.url) (\(first.rule.origin)) has a path and git does not send one: run: git config --global credential.useHttpPath true"))
        }
        return checks
    }
}
