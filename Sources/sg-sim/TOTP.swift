import CNIOBoringSSL

/// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps), the codes an OATH
/// authenticator app shows. The HMAC is BoringSSL's, which the sim already links through swift-nio-ssl.
enum TOTP {
    static let step = 30

    /// The code of the step that holds `time` (seconds since the epoch), `digits` long.
    static func code(key: [UInt8], time: Int, digits: Int = 6) -> String {
        var counter = UInt64(time / step).bigEndian
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBytes { k in
            withUnsafeBytes(of: &counter) { c in
                HMAC(EVP_sha1(), k.baseAddress, k.count, c.bindMemory(to: UInt8.self).baseAddress,
                                   c.count, &mac, &length)
            }
        }
        let offset = Int(mac[Int(length) - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// Does `answer` match the current step or the one before (a code typed as the step turned)?
    static func accepts(_ answer: String, key: [UInt8], now: Int) -> Bool {
        [now, now - step].contains { code(key: key, time: $0) == answer }
    }
}
