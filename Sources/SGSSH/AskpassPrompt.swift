/// What an SSH_ASKPASS / GIT_ASKPASS program is being asked, classified from the prompt (its one
/// argument) and `SSH_ASKPASS_PROMPT`, using the exact strings OpenSSH 9.x and git print.
///
/// Matching is anchored at both ends on the fixed text ssh/git write, so text a server controls
/// (keyboard-interactive prompts, always prefixed by ssh with `(user@host) `) can never pass for
/// a key-passphrase or password prompt. Anything not recognised is `.unknown`, which askpass
/// refuses. Any input is safe: no crash, bounded work.
///
///     let p = AskpassPrompt.classify(CommandLine.arguments[1], hint: env["SSH_ASKPASS_PROMPT"])
public enum AskpassPrompt: Equatable, Sendable {
    /// `Enter passphrase for key 'PATH': ` (ssh) or `Enter passphrase for PATH: ` (ssh-add;
    /// `(stdin)` for `ssh-add -`), with ssh-add's ` (will confirm each use)` suffix noted.
    case keyPassphrase(key: String, confirmEachUse: Bool)
    /// `Bad passphrase, try again for PATH: ` (ssh-add's retry): never answered, so no loop.
    case badPassphrase(key: String)
    /// `user@host's password: ` (ssh password authentication).
    case password(user: String, host: String)
    /// `Enter/Retype user@host's old/new password: ` (expired password change).
    case passwordChange
    /// `(user@host) PROMPT` (keyboard-interactive; PROMPT is the server's text).
    case keyboardInteractive(user: String, host: String, prompt: String)
    /// git's `Username for 'URL': `.
    case gitUsername(url: String)
    /// git's `Password for 'URL': ` (URL usually carries `user@`).
    case gitPassword(url: String)
    /// ssh-agent's `Allow use of key COMMENT?\nKey fingerprint FP.` for a key added with `-c`.
    case agentConfirm(comment: String, fingerprint: String)
    /// Any other yes/no permission question (`SSH_ASKPASS_PROMPT=confirm`, AddKeysToAgent=ask, mux).
    case confirm
    /// A notification (`SSH_ASKPASS_PROMPT=none`, FIDO touch): nothing to answer.
    case notification
    /// Host-key questions (new host, changed key, UpdateHostKeys): always refused.
    case hostKey
    case unknown

    /// Longer prompts are refused unread (ssh's own are well under 1 KB).
    public static let maximumLength = 4096

    public static func classify(_ prompt: String, hint: String? = nil) -> AskpassPrompt {
        guard prompt.utf8.count <= maximumLength else { return .unknown }
        let hint = hint?.lowercased()
        if hint == "none" { return .notification }

        if prompt.hasPrefix("Allow use of key ") {
            return agentConfirm(prompt) ?? .confirm
        }
        if isHostKeyQuestion(prompt) { return .hostKey }
        if hint == "confirm" { return .confirm }
        if prompt.hasPrefix("Add key ") && prompt.hasSuffix(" to agent?") { return .confirm }
        if prompt.hasPrefix("Allow shared connection to ") || prompt.hasPrefix("Terminate shared connection to ") { return .confirm }

        // Keyboard-interactive: ssh's own `(user@host) ` prefix, then the server's text.
        if prompt.hasPrefix("("), let ki = keyboardInteractive(prompt) { return ki }
        // On bytes: "\r\n" is one Character, so Character tests for "\n" and "\r" both miss it.
        if prompt.containsControlCharacters { return .unknown }

        if let body = strip(prompt, prefix: "Enter passphrase for key '", suffix: "': ") {
            return body.isEmpty ? .unknown : .keyPassphrase(key: body, confirmEachUse: false)
        }
        if let body = strip(prompt, prefix: "Enter passphrase for ", suffix: ": ") {
            let (key, confirm) = splitConfirmSuffix(body)
            if key.isEmpty || key == "PKCS#11" { return .unknown }
            return .keyPassphrase(key: key, confirmEachUse: confirm)
        }
        if let body = strip(prompt, prefix: "Bad passphrase, try again for ", suffix: ": ") {
            return .badPassphrase(key: splitConfirmSuffix(body).0)
        }
        if let body = strip(prompt, prefix: "Username for '", suffix: "': ") {
            return GitURL(body) != nil ? .gitUsername(url: body) : .unknown
        }
        if let body = strip(prompt, prefix: "Password for '", suffix: "': ") {
            return GitURL(body) != nil ? .gitPassword(url: body) : .unknown
        }
        for p in ["Enter ", "Retype "] where prompt.hasPrefix(p) {
            if prompt.hasSuffix("'s old password: ") || prompt.hasSuffix("'s new password: ") { return .passwordChange }
        }
        if let body = strip(prompt, prefix: "", suffix: "'s password: "), let (user, host) = userAtHost(body) {
            return .password(user: user, host: host)
        }
        return .unknown
    }

    // MARK: pieces

    /// `PREFIX body SUFFIX` → body; the trailing space ssh prints may be missing (some wrappers trim it).
    private static func strip(_ s: String, prefix: String, suffix: String) -> String? {
        guard s.hasPrefix(prefix) else { return nil }
        var rest = Substring(s.dropFirst(prefix.count))
        if rest.hasSuffix(suffix) {
            rest = rest.dropLast(suffix.count)
        } else if suffix.hasSuffix(" "), rest.hasSuffix(suffix.dropLast()) {
            rest = rest.dropLast(suffix.count - 1)
        } else {
            return nil
        }
        return String(rest)
    }

    private static func splitConfirmSuffix(_ body: String) -> (String, Bool) {
        let suffix = " (will confirm each use)"
        if body.hasSuffix(suffix) { return (String(body.dropLast(suffix.count)), true) }
        return (body, false)
    }

    /// `user@host` with the split at the last `@`; neither part empty, no spaces or controls.
    static func userAtHost(_ s: String) -> (String, String)? {
        guard let at = s.lastIndex(of: "@") else { return nil }
        let user = String(s[..<at]), host = String(s[s.index(after: at)...])
        func clean(_ t: String) -> Bool {
            !t.isEmpty && t.utf8.count <= 256 && !t.containsControlCharacters
                && !t.utf8.contains { $0 == 0x20 || $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "(") || $0 == UInt8(ascii: ")") }
        }
        guard clean(user), clean(host), !host.contains("@") else { return nil }
        return (user, host)
    }

    private static func keyboardInteractive(_ prompt: String) -> AskpassPrompt? {
        let afterParen = prompt.dropFirst()
        guard let close = afterParen.firstRange(of: ") ") else { return nil }
        guard let (user, host) = userAtHost(String(afterParen[..<close.lowerBound])) else { return nil }
        return .keyboardInteractive(user: user, host: host, prompt: String(afterParen[close.upperBound...]))
    }

    private static func isHostKeyQuestion(_ p: String) -> Bool {
        p.hasPrefix("The authenticity of host ")
            || p.contains("Are you sure you want to continue connecting")
            || p.hasPrefix("Please type 'yes'")
            || p.hasPrefix("Accept updated hostkeys?")
            || p.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
    }

    /// `Allow use of key COMMENT?\nKey fingerprint SHA256:43CHARS.` with optional `\nEXTRA`.
    /// The marker must occur exactly once, so a comment cannot smuggle in a second fingerprint.
    private static func agentConfirm(_ p: String) -> AskpassPrompt? {
        let marker = "?\nKey fingerprint "
        let parts = p.split(separator: marker, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return nil }
        let comment = String(parts[0].dropFirst("Allow use of key ".count))
        let tail = parts[1]
        guard let dot = tail.firstIndex(of: ".") else { return nil }
        let fp = String(tail[..<dot])
        let after = tail[tail.index(after: dot)...]
        guard fp.hasPrefix("SHA256:"), fp.utf8.count == 7 + 43,
              fp.utf8.dropFirst(7).allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                                                || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") }),
              after.isEmpty || after.hasPrefix("\n") else { return nil }
        return .agentConfirm(comment: comment, fingerprint: fp)
    }
}

/// The parts of a URL git shows in its prompts: `scheme://[user@]host[:port][/path]`.
public struct GitURL: Equatable, Sendable {
    public var scheme: String
    public var user: String?
    /// Lower-cased host, with `:port` when one was given.
    public var host: String
    public var path: String

    public init?(_ text: String) {
        guard text.utf8.count <= 2048, !text.containsControlCharacters, !text.utf8.contains(0x20),
              let sep = text.firstRange(of: "://") else { return nil }
        scheme = text[..<sep.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0)
                                                         || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { return nil }
        let rest = Substring(text[sep.upperBound...])
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        path = String(rest[slash...].drop { $0 == "/" })
        if let at = authority.lastIndex(of: "@") {
            user = String(authority[..<at]).removingPercentEncoding() 
            authority = authority[authority.index(after: at)...]
        } else {
            user = nil
        }
        guard !authority.isEmpty else { return nil }
        host = authority.lowercased()
        if scheme == "https" && host.hasSuffix(":443") { host.removeLast(4) }
        if scheme == "http" && host.hasSuffix(":80") { host.removeLast(3) }
    }
}

extension String {
    /// `%XX` decoding for user names in URLs; invalid escapes are kept as written.
    func removingPercentEncoding() -> String {
        var out: [UInt8] = []
        let b = Array(utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v); i += 3
            } else {
                out.append(b[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
