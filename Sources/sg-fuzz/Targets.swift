import SGCore
import SGKeyring
import SGResolver
import SGSSH
import SGTransport

/// One fuzz target: a name, what it reaches, and the entry point. An entry point may throw (bad
/// input is expected to be refused); it must never trap, hang or leak memory.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable (UnsafeRawBufferPointer) -> Void
}

/// Every target `sg-fuzz` knows, in the order `scripts/fuzz` runs them.
let fuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "config", summary: "ConfigLoader.parse(text, file:) over config.yaml text", run: fuzzConfig),
    FuzzTarget(name: "yaml", summary: "YAML.compose (libyaml events): refused, or a tree inside the depth/node/size limits", run: fuzzYAML),
    FuzzTarget(name: "secrets-file", summary: "SecretsFile.parse (summon secrets.yml), with and without a section", run: fuzzSecretsFile),
    FuzzTarget(name: "askpass", summary: "AskpassPrompt.classify (first byte picks SSH_ASKPASS_PROMPT) and GitURL", run: fuzzAskpass),
    FuzzTarget(name: "private-key", summary: "PrivateKey.read over PEM, PKCS#8 and openssh-key-v1 (first byte 0x00-0x03 armors raw DER/blob)", run: fuzzPrivateKey),
    FuzzTarget(name: "pkcs12", summary: "ClientCertificate.parsePKCS12 (OpenSSL d2i_PKCS12 + PKCS12_parse)", run: fuzzPKCS12),
    FuzzTarget(name: "json", summary: "JSONValue.parse (appliance responses) and re-serialization", run: fuzzJSON),
    FuzzTarget(name: "json-literal", summary: "SGCore.JSONString.decodeLiteral (A2A password answers)", run: fuzzJSONLiteral),
    FuzzTarget(name: "ark-token", summary: "SGKeyring.ArkToken.parse (keyring items, Ark's JSON) and its serialization", run: fuzzArkToken),
    FuzzTarget(name: "git-credential", summary: "GitCredential.parse (git's credential protocol on stdin), then GitRules matching and the SG_LOG=debug explanation of a miss", run: fuzzGitCredential),
    FuzzTarget(name: "terminal-text", summary: "escapingControlCharacters, containsControlCharacters, trimmingASCIIWhitespace (text for the terminal)", run: fuzzTerminalText),
    FuzzTarget(name: "cert-names", summary: "SGTransport.CertificateNamesProbe.subjectAlternativeNames (libcurl's certinfo text of a server certificate)", run: fuzzCertNames),
    FuzzTarget(name: "http-header", summary: "SGTransport.HeaderNumber: Retry-After (seconds, HTTP-dates) and header numbers", run: fuzzHTTPHeaderNumber),
    FuzzTarget(name: "event-stream", summary: "SGSafeguard.ServerSentEvents + SignalRRecords (A2A event hub), whole and in chunks", run: fuzzEventStream),
] + identityFuzzTargets + pluginFuzzTargets

func text(_ raw: UnsafeRawBufferPointer) -> String { String(decoding: raw, as: UTF8.self) }
func secret(_ raw: UnsafeRawBufferPointer) -> SecretBytes { SecretBytes(bytes: raw) }

func fuzzConfig(_ raw: UnsafeRawBufferPointer) {
    // A relative file name so relative paths resolve somewhere harmless; nothing is read from disk.
    _ = try? ConfigLoader.parse(text(raw), file: "/nonexistent/sg-fuzz/config.yaml", home: "/nonexistent/home")
}

func fuzzSecretsFile(_ raw: UnsafeRawBufferPointer) {
    let t = text(raw)
    let defines = ["environment": "prod", "env": "x$y", "empty": ""]
    _ = try? SecretsFile.parse(t, file: "secrets.yml", section: nil, defines: defines)
    _ = try? SecretsFile.parse(t, file: "secrets.yml", section: "prod", defines: defines)
    _ = try? SecretsFile.substitute(t, defines: defines)
}

func fuzzAskpass(_ raw: UnsafeRawBufferPointer) {
    guard let first = raw.first else {
        _ = AskpassPrompt.classify("")
        return
    }
    let hints: [String?] = [nil, "none", "confirm", "CONFIRM", "", "None"]
    let hint = hints[Int(first) % hints.count]
    let prompt = text(UnsafeRawBufferPointer(rebasing: raw[1...]))
    _ = AskpassPrompt.classify(prompt, hint: hint)
    _ = GitURL(prompt)
}

func fuzzPrivateKey(_ raw: UnsafeRawBufferPointer) {
    // 0x00..0x03 + bytes: armor the rest so the fuzzer reaches the binary parsers directly.
    let labels = ["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"]
    let input: SecretBytes
    if let first = raw.first, Int(first) < labels.count {
        let label = labels[Int(first)]
        let body = Base64.encode(Array(raw[1...]))
        var lines = "-----BEGIN \(label)-----\n"
        var i = body.startIndex
        while i < body.endIndex {
            let j = body.index(i, offsetBy: 70, limitedBy: body.endIndex) ?? body.endIndex
            lines += body[i..<j] + "\n"
            i = j
        }
        lines += "-----END \(label)-----\n"
        input = SecretBytes(string: lines)
    } else {
        input = secret(raw)
    }
    // No passphrase: an encrypted PEM must be refused, not prompted for (OpenSSL may not prompt).
    if let result = try? PrivateKey.read(input) {
        let pub = result.publicKey
        _ = pub.fingerprint
        _ = pub.authorizedKeysLine
    }
    _ = try? PrivateKey.read(input, passphrase: SecretBytes(string: "sg-fuzz"))
    // The `.pub` line sg-ssh-key reads back and compares.
    _ = try? PublicKey(authorizedKeysLine: text(raw))
}

func fuzzPKCS12(_ raw: UnsafeRawBufferPointer) {
    _ = try? ClientCertificate.parsePKCS12(secret(raw), passphrase: nil)
    _ = try? ClientCertificate.parsePKCS12(secret(raw), passphrase: SecretBytes(string: "sg-fuzz"))
}

func fuzzJSON(_ raw: UnsafeRawBufferPointer) {
    guard let v = try? JSONValue.parse(secret(raw)) else { return }
    // What the clients do with an answer: walk it, read members, re-serialize and re-parse.
    _ = v["Code"]?.intValue
    _ = v["Message"]?.text
    _ = v.arrayValue?.first?["PrivateKey"]?.text
    _ = try? v.secret()
    let again = v.serialized()
    guard (try? JSONValue.parse(again)) != nil else {
        fatalError("JSONValue: serialized output does not parse again")
    }
}

func fuzzJSONLiteral(_ raw: UnsafeRawBufferPointer) {
    guard let decoded = try? JSONString.decodeLiteral(secret(raw)) else { return }
    let encoded = JSONString.encodeLiteral(decoded)
    guard let round = try? JSONString.decodeLiteral(encoded), round.constantTimeEquals(decoded) else {
        fatalError("JSONString: encode(decode(x)) does not decode to the same value")
    }
}

func fuzzArkToken(_ raw: UnsafeRawBufferPointer) {
    guard let token = try? ArkToken.parse(secret(raw)) else { return }
    _ = token.serialized()
}
