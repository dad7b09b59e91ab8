import SGCore

/// When an item sg keeps in a keyring stops being good, for the two kinds it writes: a git
/// credential (`sg-git/1 <unix-seconds, 0 for never>\n<value>`) and a user token (ArkToken JSON,
/// under Ark's `load_token` rules). The file keyring drops expired items whenever it is opened,
/// so a short `cache-ttl` means a short life on disk, not "until the same name is asked again".
///
///     let stored = ItemExpiry.packGit(password, expiresAt: WallClock.now + 60)
///     if ItemExpiry.isExpired(stored) { … }
public enum ItemExpiry {
    static let gitMagic = Array("sg-git/1 ".utf8)

    /// A git credential with its expiry (wall-clock seconds; nil: none), as stored.
    public static func packGit(_ value: SecretBytes, expiresAt: Double?) -> SecretBytes {
        let b = SecretBuffer(capacity: value.count + 32)
        b.append(gitMagic)
        b.append(expiresAt.flatMap { GitCredential.expiry(seconds: $0) }.map { String($0) } ?? "0")
        b.append("\n")
        b.append(value)
        return b.take()
    }

    /// A stored git credential's value and expiry; nil for an item that is not one.
    public static func unpackGit(_ stored: SecretBytes) -> (value: SecretBytes, expiresAt: Double?)? {
        stored.withUnsafeBytes { raw in
            guard let expires = gitExpiry(raw) else { return nil }
            let nl = raw[gitMagic.count...].firstIndex(of: 0x0A)!
            return (SecretBytes(bytes: UnsafeRawBufferPointer(rebasing: raw[(nl + 1)...])), expires > 0 ? Double(expires) : nil)
        }
    }

    /// True for a git credential past its expiry and for a token Ark's rules would delete on
    /// load; anything else (other programs' items, unparsable ones) is never expired here.
    public static func isExpired(_ stored: SecretBytes, at now: Instant = Instant.now) -> Bool {
        let git: Int64? = stored.withUnsafeBytes { gitExpiry($0) }
        if let git { return git > 0 && Double(git) <= now.timeIntervalSince1970 }
        guard stored.withUnsafeBytes({ $0.first == UInt8(ascii: "{") }), let token = try? ArkToken.parse(stored) else { return false }
        return ArkExpiry.verdict(for: token, at: now) == .delete
    }

    /// The header's seconds (0: no expiry), or nil when `raw` is not a git credential.
    private static func gitExpiry(_ raw: UnsafeRawBufferPointer) -> Int64? {
        guard raw.count > gitMagic.count, raw.prefix(gitMagic.count).elementsEqual(gitMagic),
              let nl = raw[gitMagic.count...].firstIndex(of: 0x0A) else { return nil }
        return Int64(String(decoding: UnsafeRawBufferPointer(rebasing: raw[gitMagic.count..<nl]), as: UTF8.self))
    }
}
