import CCurlShim
import SGCore

/// The names a server's certificate is valid for, asked only after verification failed on a
/// host-name mismatch, so that the error can list the names to use instead of blaming the CA.
///
/// Like `TLSVersionProbe`: a bare handshake (`CURLOPT_CONNECT_ONLY`) on a handle of its own,
/// outside the pool, with no client certificate and nothing sent, so turning verification off
/// for the probe exposes nothing and no later request can reuse its connection.
public enum CertificateNamesProbe {
    /// The subject alternative names (DNS names and IP addresses) of the leaf certificate; empty
    /// when the handshake fails or the certificate has none.
    static func names(of appliance: Appliance, seconds: Double) -> [String] {
        guard let h = CurlHandle.bareHandshake(with: appliance, seconds: seconds, { try $0.set(CURLOPT_CERTINFO, 1) }) else {
            return []
        }
        for line in h.leafCertificateFields() {
            let prefix = "X509v3 Subject Alternative Name:"
            if line.hasPrefix(prefix) { return subjectAlternativeNames(String(line.dropFirst(prefix.count))) }
        }
        return []
    }

    /// `DNS:a.example, IP Address:10.0.0.1` → `["a.example", "10.0.0.1"]` (other kinds dropped).
    public static func subjectAlternativeNames(_ text: String) -> [String] {
        text.split(separator: ",").compactMap { part in
            let item = String(part).trimmingASCIIWhitespace()
            for kind in ["DNS:", "IP Address:", "IP:"] where item.hasPrefix(kind) {
                return String(item.dropFirst(kind.count))
            }
            return nil
        }
    }
}

extension CurlHandle {
    /// The "Name:value" fields libcurl lists for the first certificate of the chain
    /// (after a transfer with `CURLOPT_CERTINFO`).
    func leafCertificateFields() -> [String] {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard sgcurl_getinfo_certinfo(handle, &info) == CURLE_OK, let info, info.pointee.num_of_certs > 0,
              let chain = info.pointee.certinfo else { return [] }
        var fields: [String] = []
        var node = chain[0]
        while let n = node {
            if let data = n.pointee.data { fields.append(String(cString: data)) }
            node = n.pointee.next
        }
        return fields
    }
}
