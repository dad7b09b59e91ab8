import COpenSSL
import SGCore
import Synchronization

/// A PKCS#12 file opened with its passphrase: the private key, its certificate and any chain
/// certificates, each in an owner of its own (they outlive the bundle that handed them out).
///
/// RC2 and 3DES files (old exports, Windows) need OpenSSL 3's legacy provider: it is loaded the
/// first time such a file is met, and the file read again.
///
///     let bundle = try PKCS12Bundle(der: fileBytes, passphrase: pass)
///     let keyPEM = try bundle.privateKey.unencryptedPEM()
public final class PKCS12Bundle {
    public let privateKey: EVPKey
    /// The certificate that matches the key.
    public let certificate: X509Certificate
    /// The other certificates of the file, in its order.
    public let chain: [X509Certificate]

    /// Why a PKCS#12 file could not be used.
    public enum ReadError: Error, Equatable {
        /// The MAC does not verify: the passphrase is wrong (or the file damaged).
        case wrongPassphrase
        /// Not a PKCS#12 file OpenSSL can read.
        case unreadable(OpenSSLError)
        /// It opened, but holds no private key, or no certificate for its key.
        case missingPrivateKey
        case missingCertificate
    }

    /// Opens `der` (the file's bytes) with `passphrase` (none: the empty passphrase).
    public init(der: SecretBytes, passphrase: SecretBytes?) throws(ReadError) {
        var parsed = Self.parse(der, passphrase: passphrase)
        if case .failure(.unreadable(let detail)) = parsed, detail.reasons.contains("unsupported"), Self.loadLegacyProvider() {
            parsed = Self.parse(der, passphrase: passphrase)
        }
        let parts = try parsed.get()
        guard let key = parts.key else { throw .missingPrivateKey }
        guard let certificate = parts.certificate else { throw .missingCertificate }
        privateKey = key
        self.certificate = certificate
        chain = parts.chain
    }

    private struct Parts {
        var key: EVPKey?
        var certificate: X509Certificate?
        var chain: [X509Certificate] = []
    }

    /// One d2i_PKCS12 + PKCS12_parse; every pointer it returns goes straight into an owner.
    private static func parse(_ der: SecretBytes, passphrase: SecretBytes?) -> Result<Parts, ReadError> {
        OpenSSLError.clearQueue()
        do {
            return try der.withUnsafeBytes { raw in
                try MemoryBIO.reading(raw) { bio -> Result<Parts, ReadError> in
                    guard let p12 = d2i_PKCS12_bio(bio.pointer, nil) else {
                        // An empty input queues no reason at all.
                        let detail = OpenSSLError.drain()
                        return .failure(.unreadable(detail.reasons == "no detail" ? OpenSSLError(reasons: "not DER-encoded PKCS#12") : detail))
                    }
                    defer { PKCS12_free(p12) }
                    var key: OpaquePointer? = nil
                    var certificate: OpaquePointer? = nil
                    var others: OpaquePointer? = nil
                    let ok = (passphrase ?? SecretBytes(bytes: [])).withCString { PKCS12_parse(p12, $0, &key, &certificate, &others) } == 1
                    var parts = Parts(key: key.map(EVPKey.init(takingOwnership:)),
                                      certificate: certificate.map(X509Certificate.init(takingOwnership:)))
                    if let others {
                        while let next = OPENSSL_sk_shift(others) { parts.chain.append(X509Certificate(takingOwnership: OpaquePointer(next))) }
                        OPENSSL_sk_free(others)
                    }
                    guard ok else {
                        let detail = OpenSSLError.drain()
                        return .failure(detail.reasons.contains("mac verify failure") ? .wrongPassphrase : .unreadable(detail))
                    }
                    return .success(parts)
                }
            }
        } catch {
            return .failure(.unreadable(error as? OpenSSLError ?? OpenSSLError.drain()))
        }
    }

    /// The providers loaded for RC2/3DES files: the handles are kept, as the process's reference
    /// to providers it uses until it exits. Held while they load, so a second thread waits for
    /// them instead of parsing before they are there.
    private struct Providers {
        var legacy: OpaquePointer?
        var standard: OpaquePointer?
    }
    private static let providers = Mutex(Providers())

    /// Loads OpenSSL 3's legacy provider (RC2, 3DES) and, since loading one provider stops OpenSSL
    /// from loading the default one by itself, the default provider too. True when both are loaded.
    private static func loadLegacyProvider() -> Bool {
        providers.withLock { loaded in
            if loaded.legacy == nil { loaded.legacy = OSSL_PROVIDER_load(nil, "legacy") }
            if loaded.standard == nil { loaded.standard = OSSL_PROVIDER_load(nil, "default") }
            return loaded.legacy != nil && loaded.standard != nil
        }
    }
}
