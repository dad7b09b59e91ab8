import SGCore
import SGResolver
import SGSSH
#if canImport(Glibc)
import Glibc
#endif

/// What `sg-ssh-key` does, over a resolver: fetch a private-key secret in a format, write it to a
/// file, add it to ssh-agent, or derive its public key. The executable only parses arguments and
/// prints.
///
///     let tool = SSHKeyTool(resolver: try ToolContext.resolver())
///     try tool.add("deploy", lifetime: 3600, confirm: false)
public struct SSHKeyTool {
    public let resolver: Resolver

    public init(resolver: Resolver) { self.resolver = resolver }

    /// The comment a key gets in the agent and in its public-key line: where it came from.
    public static func comment(for name: String) -> String { "sg:\(name)" }

    /// The key text as the appliance serves it in `format` (the secret's configured format when nil).
    public func fetch(_ name: String, format: KeyFormat? = nil) throws -> SecretBytes {
        var spec = try privateKeySpec(name)
        if let format { spec.format = format }
        return try resolver.resolve(secret: spec).value
    }

    /// The key in OpenSSH format, read (and decrypted with the configured passphrase when it is an
    /// encrypted PEM/PKCS#8 key). The text is returned too: an encrypted openssh-key-v1 key needs it.
    public func readOpenSSH(_ name: String) throws -> (text: SecretBytes, key: PrivateKeyReadResult) {
        let (text, read) = try fetchAndRead(name)
        return (text, try read.get())
    }

    /// The public key, with `sg:NAME` as its comment.
    public func publicKey(_ name: String) throws -> PublicKey {
        var key = try readOpenSSH(name).key.publicKey
        key.comment = Self.comment(for: name)
        return key
    }

    /// Adds the key to the agent at `SSH_AUTH_SOCK`; the key never touches disk. An encrypted
    /// openssh-key-v1 key goes through `ssh-add -` with sg-askpass answering its passphrase.
    /// Returns the public key that was added (for `--watch`, which removes it when it rotates away).
    @discardableResult
    public func add(_ name: String, lifetime: UInt32?, confirm: Bool,
                    environment: [String: String] = Environment.current) throws -> PublicKey {
        let spec = try privateKeySpec(name)
        // Fail before any fetch when there is no agent to add to.
        let agent = try SSHAgentClient.fromEnvironment(environment)
        let (text, read) = try readOpenSSH(name)
        switch read {
        case .key(let key):
            try agent.add(key, comment: Self.comment(for: name), lifetime: lifetime, confirm: confirm)
        case .needsSSHAdd:
            guard let passSecret = spec.passphraseSecret else {
                throw SGError.config("secret \(name) is an encrypted OpenSSH key and names no passphrase secret (set 'passphrase:' on it)")
            }
            try SSHAddRunner.add(keyText: text, passphraseSecret: passSecret, askpass: try Self.askpassPath(environment),
                                 lifetime: lifetime, confirm: confirm, environment: environment)
        }
        return read.publicKey
    }

    /// `add --watch`: adds the key now, then after every rotation adds the new key (same lifetime
    /// and confirm options) and removes the old one by its public key, until `stop` is set. A
    /// failed step is logged and the watch goes on.
    public func addAndFollow(_ name: String, lifetime: UInt32?, confirm: Bool, settings: WatchSettings, stop: StreamStop,
                             log: @escaping @Sendable (String) -> Void,
                             environment: [String: String] = Environment.current) throws {
        _ = try privateKeySpec(name)
        _ = try SSHAgentClient.fromEnvironment(environment)
        let watcher = try SecretWatcher(resolver: resolver, references: [.named(name, field: nil)], settings: settings, log: log)
        var inAgent: PublicKey?
        try watcher.run(stop: stop) { _, _ in
            do {
                let added = try add(name, lifetime: lifetime, confirm: confirm, environment: environment)
                if let old = inAgent, old.fingerprint != added.fingerprint {
                    try SSHAgentClient.fromEnvironment(environment).remove(old)
                    log("sg:\(name): \(old.fingerprint) replaced by \(added.fingerprint) in the agent")
                } else if inAgent == nil {
                    log("sg:\(name): \(added.fingerprint) added to the agent")
                }
                inAgent = added
            } catch let e as SGError {
                log("sg:\(name): \(e.message)")
            } catch {
                log("sg:\(name): \(error)")
            }
        }
    }

    /// Writes the key (as served, in `format`) to `path` with mode 0600, and `path.pub` beside it.
    /// The public key is derived from the OpenSSH form (fetched again when another format was
    /// asked); when it cannot be derived the key is still written and the reason returned.
    @discardableResult
    public func write(_ name: String, format: KeyFormat?, to path: String) throws -> String? {
        let spec = try privateKeySpec(name)
        let wanted = format ?? spec.format
        var note: String?
        var pub: PublicKey?
        let text: SecretBytes
        if wanted == .openssh {
            let (t, read) = try fetchAndRead(name)
            text = t
            switch read {
            case .success(let r): pub = r.publicKey
            case .failure(let e): note = e.message
            }
        } else {
            text = try fetch(name, format: wanted)
            do { pub = try readOpenSSH(name).key.publicKey }
            catch let e as SGError { note = e.message }
        }
        pub?.comment = Self.comment(for: name)
        try KeyFileWriter.write(text, to: path, publicKey: pub)
        return note.map { "\(path).pub not written: \($0)" }
    }

    /// Fetches the OpenSSH form; a fetch failure throws, a read failure is returned with the text.
    private func fetchAndRead(_ name: String) throws -> (SecretBytes, Result<PrivateKeyReadResult, SGError>) {
        let spec = try privateKeySpec(name)
        let text = try fetch(name, format: .openssh)
        do {
            var passphrase: SecretBytes?
            if PEMArmor.isEncryptedPrivateKey(text) {
                guard spec.passphraseSecret != nil else {
                    throw SGError.config("secret \(name) is an encrypted key and names no passphrase secret (set 'passphrase:' on it)")
                }
                passphrase = try resolver.passphrase(of: spec)
            }
            return (text, .success(try PrivateKey.read(text, passphrase: passphrase)))
        } catch let e as SGError {
            return (text, .failure(e))
        }
    }

    private func privateKeySpec(_ name: String) throws -> SecretSpec {
        let spec = try resolver.config.secret(name)
        guard spec.kind == .privateKey else {
            let at = spec.origin.isEmpty ? "" : " at \(spec.origin)"
            throw SGError.badReference("secret \(name) is a \(spec.kind.rawValue), not a private-key: if it holds an SSH key, add 'kind: private-key' to it\(at)")
        }
        return spec
    }

    /// sg-askpass beside the running binary (`/proc/self/exe`), else the first on PATH.
    public static func askpassPath(_ environment: [String: String] = Environment.current) throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let candidate = parentFolder(of: exe) + "/sg-askpass"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/sg-askpass"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw SGError.config("sg-askpass not found beside this program or on PATH; it answers ssh-add's passphrase prompt")
    }
}
