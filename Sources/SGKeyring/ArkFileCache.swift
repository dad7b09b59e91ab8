#if canImport(Glibc)
import Glibc
#endif
import SGCore
import SGCrypto

/// The ark SDK's own file cache (its `BasicKeyring`, ark-sdk-python 2.1.4's `BasicKeyring`), read-only, so
/// a CyberArk Identity login made by `ark login` on a host without a Secret Service is used by sg
/// too. sg never writes there: a token found here is copied into sg's own cache.
///
/// Format: `<folder>/keyring` is JSON `{service: {account: {nonce, ciphertext, tag}}}` (base64),
/// AES-GCM with a 16-byte nonce under the key "hostname, PKCS#7-padded to 32 bytes" (Ark's choice,
/// not a secret of the user: treat this cache as weak); `<folder>/mac` is the SHA-256 hex of the
/// JSON text, checked before anything is read.
///
///     if let token = ArkFileCache().load(service: "isp-alice@corp", account: "ark") { ... }
public struct ArkFileCache: Sendable {
    public let folder: String
    public let hostname: String

    public init(folder: String? = nil, hostname: String? = nil, environment: [String: String] = Environment.current) {
        self.folder = folder ?? environment["ARK_KEYRING_FOLDER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Environment.home(environment) + "/.ark_cache/keyring"
        self.hostname = hostname ?? ArkFileCache.currentHostname()
    }

    static func currentHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "" }
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The token Ark cached under `service`/`account`, with Ark's expiry rules applied; nil when
    /// there is none, the cache fails its integrity check, or it does not decrypt (host renamed).
    public func load(service: String, account: String) -> ArkToken? {
        let dataPath = folder + "/keyring"
        guard FileSafety.exists(dataPath), let text = try? FileSafety.readBytes(dataPath),
              let mac = try? FileSafety.readBytes(folder + "/mac") else { return nil }
        guard String(decoding: mac, as: UTF8.self).trimmingASCIIWhitespace() == Self.sha256Hex(text) else {
            Log.logger.warning("ignoring the ark SDK's file cache \(dataPath): it fails its own integrity check")
            return nil
        }
        guard let doc = try? JSONValue.parse(SecretBytes(bytes: text)),
              let entry = doc[service]?[account],
              let nonce = entry["nonce"]?.text.flatMap(Base64.decode), let ciphertext = entry["ciphertext"]?.text.flatMap(Base64.decode),
              let tag = entry["tag"]?.text.flatMap(Base64.decode), let key = Self.key(hostname: hostname) else { return nil }
        guard let plain = AESGCM.open(ciphertext + tag, key: key, nonce: nonce, aad: []),
              let token = try? ArkToken.parse(plain) else { return nil }
        return ArkExpiry.verdict(for: token) == .keep ? token : nil
    }

    /// Ark's key: the hostname's bytes PKCS#7-padded to 32 (nil for hostnames of 32 bytes or
    /// more, with which Ark itself caches nothing).
    static func key(hostname: String) -> SecretBytes? {
        let bytes = Array(hostname.utf8)
        guard bytes.count < 32 else { return nil }
        let pad = 32 - bytes.count
        return SecretBytes(bytes: bytes + Array(repeating: UInt8(pad), count: pad))
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digest = Digest.sha256(bytes)
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }
}
