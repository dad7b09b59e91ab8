import Foundation

/// Random values and token shapes. Tokens look like JWTs (`[-0-9A-Za-z_.]`) so that safeguard-bash's
/// sed patterns and the ark SDK's unverified JWT decoding both accept them.
enum Tokens {
    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64urlDecode(_ s: String) -> Data? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t)
    }

    /// An A2A API key: base64 with `/`, `+` and `=` like the appliance's.
    static func apiKey() -> String { Data(randomBytes(32)).base64EncodedString() }

    static func opaque(_ n: Int = 32) -> String { base64url(randomBytes(n)) }

    static func alnum(_ n: Int) -> String {
        let chars = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in chars.randomElement(using: &g)! })
    }

    /// An unsigned JWT (`alg: none`-style header, random signature part) carrying `claims`.
    static func jwt(_ claims: [(String, JSON)]) -> String {
        let header = JSON.object([("alg", .string("RS256")), ("typ", .string("JWT")), ("kid", .string("sg-sim"))])
        let payload = JSON.object(claims + [("jti", .string(opaque(12)))])
        return base64url(Array(header.data)) + "." + base64url(Array(payload.data)) + "." + opaque(32)
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }
}
