import Foundation

/// The sim's certificates and SSH keys, made with the `openssl`, `ssh-keygen` and `puttygen` binaries
/// the first time a state folder is used, and reused after that (`pki/complete` marks a finished set).
/// `SG_SIM_PKI_CACHE=DIR` copies a finished set from DIR (or fills DIR after generating) so test runs
/// pay for key generation once.
struct PKI {
    let dir: URL

    var pkiDir: URL { dir.appendingPathComponent("pki") }
    var keysDir: URL { dir.appendingPathComponent("keys") }
    func pki(_ name: String) -> String { pkiDir.appendingPathComponent(name).path }
    func key(_ name: String) -> String { keysDir.appendingPathComponent(name).path }

    var passphrase: String {
        (try? String(contentsOfFile: pki("client.pass"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    static let sshKeyNames = ["ssh-ed25519", "ssh-rsa", "ssh-ecdsa", "ssh-rsa-pass", "ssh-ed25519-pass"]
    /// The keys with a passphrase: legacy encrypted PEM (RSA) and encrypted openssh-key-v1
    /// (ed25519, bcrypt KDF), which only ssh-add can decrypt.
    static let passphraseKeyNames: Set<String> = ["ssh-rsa-pass", "ssh-ed25519-pass"]
    /// What `complete` holds: a cached PKI made by an older sim (fewer keys) is made anew.
    static let layoutVersion = "2"
    /// Passphrase of both passphrase keys (also served as the password secret `ssh-rsa-pass-phrase`).
    static let rsaKeyPassphrase = "rsa-key-Passphrase-42"

    func ensure() throws {
        let fm = FileManager.default
        if (try? String(contentsOfFile: pki("complete"), encoding: .utf8)) == PKI.layoutVersion + "\n" { return }
        if let cache = ProcessInfo.processInfo.environment["SG_SIM_PKI_CACHE"], !cache.isEmpty {
            let cacheURL = URL(fileURLWithPath: cache)
            if (try? String(contentsOfFile: cacheURL.appendingPathComponent("pki/complete").path, encoding: .utf8)) == PKI.layoutVersion + "\n" {
                try copyTree(from: cacheURL, to: dir)
                return
            }
            try generate()
            try? fm.createDirectory(at: cacheURL, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let staging = cacheURL.appendingPathComponent(".staging-\(getpid())")
            try? fm.removeItem(at: staging)
            try fm.createDirectory(at: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try copyTree(from: dir, to: staging)
            for sub in ["keys", "pki"] {   // pki last: its `complete` marker publishes the set
                let target = cacheURL.appendingPathComponent(sub)
                if !fm.fileExists(atPath: target.path) {
                    try? fm.moveItem(at: staging.appendingPathComponent(sub), to: target)
                }
            }
            try? fm.removeItem(at: staging)
            return
        }
        try generate()
    }

    private func copyTree(from src: URL, to dst: URL) throws {
        let fm = FileManager.default
        for sub in ["pki", "keys"] {
            let target = dst.appendingPathComponent(sub)
            try? fm.removeItem(at: target)
            try fm.copyItem(at: src.appendingPathComponent(sub), to: target)
        }
    }

    private func generate() throws {
        let fm = FileManager.default
        for d in [pkiDir, keysDir] {
            try? fm.removeItem(at: d)
            try fm.createDirectory(at: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let pass = Tokens.alnum(20)
        try writePrivate(pki("client.pass"), pass + "\n")

        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        // Trusted CA and the untrusted "other" CA.
        for (name, cn) in [("ca", "sg-sim Test CA"), ("other-ca", "sg-sim Untrusted CA")] {
            try run("openssl", ["req", "-x509"] + ec + ["-keyout", pki("\(name).key"), "-out", pki("\(name).pem"),
                "-days", "3650", "-subj", "/O=sg-sim/CN=\(cn)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        try issue("server", cn: "127.0.0.1", ca: "ca",
                  ext: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE")
        try issue("client", cn: "sg-client", ca: "ca", ext: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE")
        try issue("rogue", cn: "sg-client", ca: "other-ca", ext: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE")

        try run("openssl", ["pkey", "-in", pki("client.key"), "-aes256", "-passout", "file:\(pki("client.pass"))", "-out", pki("client-enc.key")])
        try run("openssl", ["pkcs12", "-export", "-in", pki("client.pem"), "-inkey", pki("client.key"),
                            "-certfile", pki("ca.pem"), "-name", "sg-client", "-passout", "file:\(pki("client.pass"))", "-out", pki("client.p12")])
        try run("openssl", ["pkcs12", "-export", "-legacy", "-in", pki("client.pem"), "-inkey", pki("client.key"),
                            "-certfile", pki("ca.pem"), "-name", "sg-client", "-passout", "file:\(pki("client.pass"))", "-out", pki("client-legacy.p12")])

        // SSH keys: legacy PEM for RSA/ECDSA (what the appliance calls OpenSsh), openssh-key-v1 for ed25519.
        try run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ssh-ed25519@sg-sim", "-f", key("ssh-ed25519")])
        try run("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "ssh-rsa@sg-sim", "-f", key("ssh-rsa")])
        try run("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "", "-C", "ssh-ecdsa@sg-sim", "-f", key("ssh-ecdsa")])
        try run("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", PKI.rsaKeyPassphrase, "-C", "ssh-rsa-pass@sg-sim", "-f", key("ssh-rsa-pass")])
        try run("ssh-keygen", ["-q", "-t", "ed25519", "-N", PKI.rsaKeyPassphrase, "-C", "ssh-ed25519-pass@sg-sim", "-f", key("ssh-ed25519-pass")])
        let empty = key(".empty-pass"), phrase = key(".rsa-pass")
        try writePrivate(empty, "")
        try writePrivate(phrase, PKI.rsaKeyPassphrase + "\n")
        defer { try? fm.removeItem(atPath: empty); try? fm.removeItem(atPath: phrase) }
        for name in PKI.sshKeyNames {
            let pw = PKI.passphraseKeyNames.contains(name) ? phrase : empty
            let old = PKI.passphraseKeyNames.contains(name) ? ["--old-passphrase", phrase] : []
            try run("puttygen", [key(name)] + old + ["--new-passphrase", pw, "-O", "private", "-o", key("\(name).ppk")])
            // ssh.com (Tectia) private keys exist for RSA (and DSA) only; puttygen refuses ed25519/ECDSA.
            if name.hasPrefix("ssh-rsa") {
                try run("puttygen", [key(name)] + old + ["--new-passphrase", pw, "-O", "private-sshcom", "-o", key("\(name).ssh2")])
            }
        }
        for file in try fm.contentsOfDirectory(atPath: pkiDir.path) + [] {
            chmod(pki(file), 0o600)
        }
        for file in try fm.contentsOfDirectory(atPath: keysDir.path) {
            chmod(key(file), 0o600)
        }
        try writePrivate(pki("complete"), PKI.layoutVersion + "\n")
    }

    private func issue(_ name: String, cn: String, ca: String, ext: String) throws {
        let extFile = pki("\(name).ext")
        try writePrivate(extFile, ext + "\n")
        defer { try? FileManager.default.removeItem(atPath: extFile); try? FileManager.default.removeItem(atPath: pki("\(name).csr")) }
        try run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                            "-keyout", pki("\(name).key"), "-out", pki("\(name).csr"), "-subj", "/O=sg-sim/CN=\(cn)"])
        try run("openssl", ["x509", "-req", "-in", pki("\(name).csr"), "-CA", pki("\(ca).pem"), "-CAkey", pki("\(ca).key"),
                            "-set_serial", String(Int.random(in: 1000...Int(Int32.max))), "-days", "825",
                            "-extfile", extFile, "-out", pki("\(name).pem")])
    }

    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let errText = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            // The tool's stderr names files, never the passphrases (they go in via files or -pass).
            throw SimError.tool("\(tool) \(args.first ?? "") failed (\(p.terminationStatus)): "
                + String(decoding: errText.prefix(400), as: UTF8.self))
        }
    }
}

enum SimError: Error, CustomStringConvertible {
    case tool(String)
    case setup(String)
    var description: String {
        switch self {
        case .tool(let s), .setup(let s): return s
        }
    }
}

/// Writes `text` to `path` with mode 0600, atomically (temp file + rename).
func writePrivate(_ path: String, _ text: String) throws {
    try writePrivate(path, Data(text.utf8))
}

func writePrivate(_ path: String, _ data: Data) throws {
    let tmp = path + ".tmp-\(getpid())"
    FileManager.default.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o600])
    chmod(tmp, 0o600)
    try data.write(to: URL(fileURLWithPath: tmp))
    guard rename(tmp, path) == 0 else { throw SimError.setup("cannot rename \(tmp) to \(path)") }
}
