import COpenSSL
import SGCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A client certificate and its decrypted private key as PEM, held in memory and handed to
/// libcurl as blobs: the key is decrypted once with OpenSSL (so OpenSSL never prompts on a
/// terminal and libcurl never re-parses a PKCS#12 per connection), and never written anywhere.
///
///     let identity = try ClientCertificate.load(profile.tls.client!)
public struct ClientCertificate: Sendable {
    /// Leaf first, then any chain certificates.
    public let certificateChainPEM: [UInt8]
    /// An unencrypted PEM private key.
    public let privateKeyPEM: SecretBytes

    /// The leaf's subject, for messages (parsed when a message needs it, not on every run).
    public var subject: String {
        (try? OpenSSL.subject(ofCertificatePEM: certificateChainPEM, what: "client certificate")) ?? "unreadable certificate"
    }

    public static func load(_ identity: ClientIdentity) throws -> ClientCertificate {
        switch identity {
        case .pem(let certPath, let keyPath, let passSource):
            try FileSafety.check(certPath, holdsSecrets: false)
            let certPEM = try FileSafety.readBytes(certPath)
            guard PEMArmor.contains(certPEM, label: "CERTIFICATE") else {
                throw SGError.config("cannot read client certificate \(certPath): no PEM CERTIFICATE block")
            }
            let keyPEM = try FileSafety.readSecret(keyPath)
            // An unencrypted key goes to libcurl as it is: decrypting and re-encoding it with
            // OpenSSL first cost a third of a one-secret fetch (docs/bench.md). libcurl reads it
            // once per connection; a key it cannot use is CURLE_SSL_CERTPROBLEM, a config error.
            if passSource == nil, !PEMArmor.isEncryptedPrivateKey(keyPEM) {
                guard PEMArmor.isPrivateKey(keyPEM) else {
                    throw SGError.config("cannot read client key \(keyPath): no PEM PRIVATE KEY block")
                }
                return ClientCertificate(certificateChainPEM: certPEM, privateKeyPEM: keyPEM)
            }
            let pass = try passSource?.resolve(what: "client key passphrase")
            let key = try OpenSSL.decryptPrivateKeyPEM(keyPEM, passphrase: pass, what: keyPath)
            return ClientCertificate(certificateChainPEM: certPEM, privateKeyPEM: key)
        case .pkcs12(let path, let passSource):
            let der = try FileSafety.readSecret(path)
            let pass = try passSource?.resolve(what: "PKCS#12 passphrase")
            return try OpenSSL.parsePKCS12(der, passphrase: pass, what: path)
        }
    }

    /// Parses PKCS#12 bytes held in memory (fuzzing, tests): the same code `load` runs for `pkcs12:`.
    public static func parsePKCS12(_ der: SecretBytes, passphrase: SecretBytes?, what: String = "PKCS#12") throws -> ClientCertificate {
        try OpenSSL.parsePKCS12(der, passphrase: passphrase, what: what)
    }
}

/// The few OpenSSL operations the transport needs, each turning OpenSSL's error queue into a
/// one-line `SGError`.
enum OpenSSL {
    /// OpenSSL's error queue as one line, emptied (`sg_crypto_error_line`, the one drainer).
    static func drainErrors() -> String {
        var line = [CChar](repeating: 0, count: 1100)
        sg_crypto_error_line(&line, line.count)
        return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func memBIO(_ raw: UnsafeRawBufferPointer) -> OpaquePointer? {
        BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
    }

    static func bioContents(_ bio: OpaquePointer) -> SecretBytes {
        var ptr: UnsafeMutablePointer<CChar>? = nil
        let len = sg_bio_get_mem_data(bio, &ptr)
        guard len > 0, let ptr else { return SecretBytes(bytes: []) }
        return SecretBytes(bytes: UnsafeRawBufferPointer(start: ptr, count: len))
    }

    /// PEM private key (encrypted or not) → unencrypted PKCS#8 PEM.
    static func decryptPrivateKeyPEM(_ pem: SecretBytes, passphrase: SecretBytes?, what: String) throws -> SecretBytes {
        ERR_clear_error()
        let key: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = memBIO(raw) else { return nil }
            defer { BIO_free(bio) }
            // A non-NULL passphrase argument with no callback: OpenSSL uses it and never prompts.
            let pass = passphrase ?? SecretBytes(bytes: [])
            return pass.withCString { cpass in
                PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: cpass))
            }
        }
        guard let key else {
            let detail = drainErrors()
            let decryptFailed = ["bad decrypt", "bad password", "cipherfinal", "interrupted or cancelled", "processing error"].contains { detail.contains($0) }
            if decryptFailed && passphrase == nil {
                throw SGError.config("client key \(what) is encrypted: set client.key-passphrase in the profile")
            }
            if decryptFailed {
                throw SGError.config("cannot decrypt client key \(what): wrong key-passphrase")
            }
            throw SGError.config("cannot read client key \(what): \(detail)")
        }
        defer { EVP_PKEY_free(key) }
        return try writePrivateKey(key, what: what)
    }

    static func writePrivateKey(_ key: OpaquePointer, what: String) throws -> SecretBytes {
        guard let out = BIO_new(BIO_s_mem()) else { throw SGError.internalError("BIO_new") }
        defer { BIO_free(out) }
        guard PEM_write_bio_PrivateKey(out, key, nil, nil, 0, nil, nil) == 1 else {
            throw SGError.config("cannot re-encode client key \(what): \(drainErrors())")
        }
        return bioContents(out)
    }

    static func subject(ofCertificatePEM pem: [UInt8], what: String) throws -> String {
        ERR_clear_error()
        let cert: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = memBIO(raw) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let cert else { throw SGError.config("cannot read client certificate \(what): \(drainErrors())") }
        defer { X509_free(cert) }
        return subjectLine(cert)
    }

    static func subjectLine(_ cert: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: 512)
        X509_NAME_oneline(X509_get_subject_name(cert), &buf, Int32(buf.count))
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Whether the providers below are loaded. Held while they load, so a second thread waits
    /// for them instead of parsing before they are there.
    private static let legacyLoaded = Mutex(false)

    /// OpenSSL 3 needs its legacy provider for RC2/3DES PKCS#12 files (old exports, Windows).
    static func loadLegacyProvider() {
        legacyLoaded.withLock { loaded in
            if loaded { return }
            _ = OSSL_PROVIDER_load(nil, "legacy")
            _ = OSSL_PROVIDER_load(nil, "default")
            loaded = true
        }
    }

    static func parsePKCS12(_ der: SecretBytes, passphrase: SecretBytes?, what: String) throws -> ClientCertificate {
        func attempt() -> (OpaquePointer?, OpaquePointer?, OpaquePointer?, Bool) {
            ERR_clear_error()
            return der.withUnsafeBytes { raw in
                guard let bio = memBIO(raw) else { return (nil, nil, nil, false) }
                defer { BIO_free(bio) }
                guard let p12 = d2i_PKCS12_bio(bio, nil) else { return (nil, nil, nil, false) }
                defer { PKCS12_free(p12) }
                var pkey: OpaquePointer? = nil
                var cert: OpaquePointer? = nil
                var ca: OpaquePointer? = nil
                let pass = passphrase ?? SecretBytes(bytes: [])
                let ok = pass.withCString { PKCS12_parse(p12, $0, &pkey, &cert, &ca) } == 1
                return (pkey, cert, ca, ok)
            }
        }
        var (pkey, cert, ca, ok) = attempt()
        var detail = ok ? "" : drainErrors()
        if !ok && detail.contains("unsupported") {
            loadLegacyProvider()
            (pkey, cert, ca, ok) = attempt()
            detail = ok ? "" : drainErrors()
        }
        guard ok, let pkey, let cert else {
            if detail.contains("mac verify failure") {
                throw SGError.config("cannot open PKCS#12 \(what): wrong passphrase")
            }
            throw SGError.config("cannot read PKCS#12 \(what): \(detail)")
        }
        defer {
            EVP_PKEY_free(pkey)
            X509_free(cert)
            if let ca { OPENSSL_sk_pop_free(ca, { X509_free(OpaquePointer($0)) }) }
        }
        guard let certBio = BIO_new(BIO_s_mem()) else { throw SGError.internalError("BIO_new") }
        defer { BIO_free(certBio) }
        _ = PEM_write_bio_X509(certBio, cert)
        if let ca {
            for i in 0..<OPENSSL_sk_num(ca) { _ = PEM_write_bio_X509(certBio, OpaquePointer(OPENSSL_sk_value(ca, i))) }
        }
        let chain = bioContents(certBio).unsafeArray()
        return ClientCertificate(certificateChainPEM: chain, privateKeyPEM: try writePrivateKey(pkey, what: what))
    }
}

