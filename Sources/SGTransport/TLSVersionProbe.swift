import CCurlShim
import SGCore

/// Which TLS versions outside sg's range a server accepts, asked only after a handshake failed on
/// a protocol-version mismatch, so that the error can say what the server offers.
///
/// Each probe is a bare handshake (`CURLOPT_CONNECT_ONLY`) on a handle of its own, outside the
/// pool and its shared connection cache, with no client certificate and nothing sent after the
/// handshake, so relaxing the probe's checks (no peer verification, OpenSSL security level 0,
/// which TLS 1.0/1.1 need) exposes nothing and no later request can reuse its connection.
enum TLSVersionProbe {
    struct Version {
        let name: String
        let curlValue: Int
    }

    static let tls1_3 = Version(name: "1.3", curlValue: Int(CURL_SSLVERSION_TLSv1_3) | Int(CURL_SSLVERSION_MAX_TLSv1_3))
    static let tls1_1 = Version(name: "1.1", curlValue: Int(CURL_SSLVERSION_TLSv1_1) | Int(CURL_SSLVERSION_MAX_TLSv1_1))
    static let tls1_0 = Version(name: "1.0", curlValue: Int(CURL_SSLVERSION_TLSv1_0) | Int(CURL_SSLVERSION_MAX_TLSv1_0))

    /// The candidates the server completes a handshake with, in the order given; each probe gets
    /// at most `seconds`.
    static func accepted(by appliance: Appliance, of candidates: [Version], seconds: Double) -> [String] {
        candidates.filter { handshake(appliance, $0, seconds: seconds) }.map(\.name)
    }

    private static func handshake(_ appliance: Appliance, _ version: Version, seconds: Double) -> Bool {
        CurlHandle.bareHandshake(with: appliance, seconds: seconds) {
            try $0.set(CURLOPT_SSLVERSION, version.curlValue)
            try $0.set(CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0")
        } != nil
    }
}

extension CurlHandle {
    /// A bare TLS handshake with `appliance` (`CURLOPT_CONNECT_ONLY`) on a handle of its own, for
    /// the probes that explain a failure: outside the pool and sharing nothing, with no client
    /// certificate and nothing sent, so verification can be off without exposing anything and no
    /// later request can reuse the connection. `configure` adds what the probe looks at. The
    /// handle after a completed handshake, or nil.
    ///
    ///     let h = CurlHandle.bareHandshake(with: appliance, seconds: 2) { try $0.set(CURLOPT_CERTINFO, 1) }
    static func bareHandshake(with appliance: Appliance, seconds: Double,
                              _ configure: (CurlHandle) throws -> Void) -> CurlHandle? {
        guard let h = try? CurlHandle(share: nil, bodyLimit: 1024) else { return nil }
        do {
            try h.set(CURLOPT_URL, appliance.baseURL + "/")
            try h.set(CURLOPT_NOSIGNAL, 1)
            try h.set(CURLOPT_PROTOCOLS_STR, "https")
            try h.set(CURLOPT_CONNECT_ONLY, 1)
            try h.set(CURLOPT_TIMEOUT_MS, seconds.clampedMilliseconds())
            try h.set(CURLOPT_SSL_VERIFYPEER, 0)
            try h.set(CURLOPT_SSL_VERIFYHOST, 0)
            try configure(h)
        } catch {
            return nil
        }
        return h.perform() == nil ? h : nil
    }
}
