import SGCore
import SGCrypto

/// A client certificate and its decrypted private key as PEM, held in memory and handed to
/// libcurl as blobs: the key is decrypted once with SGCrypto's OpenSSL owners (so OpenSSL never
/// prompts on a terminal and libcurl never re-parses a PKCS#12 per connection), and never written
/// anywhere.
///
///     let identity = try ClientCertificate.load(profile.tls.client!)
public struct ClientCertificate: Sendable {
    /// Leaf first, then any chain certificates.
    public let certificateChainPEM: [UInt8]
    /// An unencrypted PEM private key.
    public let privateKeyPEM: SecretBytes

    /// The leaf's subject, for messages (parsed when a message needs it, not on every run).
    public var subject: String {
        (try? X509Certificate(pem: certificateChainPEM).subject) ?? "unreadable certificate"
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
            let key = try decryptPrivateKeyPEM(keyPEM, passphrase: pass, what: keyPath)
            return ClientCertificate(certificateChainPEM: certPEM, privateKeyPEM: key)
        case .pkcs12(let path, let passSource):
            let der = try FileSafety.readSecret(path)
            let pass = try passSource?.resolve(what: "PKCS#12 passphrase")
            return try parsePKCS12(der, passphrase: pass, what: path)
        }
    }

    /// Parses PKCS#12 bytes held in memory (fuzzing, tests): the same code `load` runs for `pkcs12:`.
    public static func parsePKCS12(_ der: SecretBytes, passphrase: SecretBytes?, what: String = "PKCS#12") throws -> ClientCertificate {
        let bundle: PKCS12Bundle
        do throws(PKCS12Bundle.ReadError) {
            bundle = try PKCS12Bundle(der: der, passphrase: passphrase)
        } catch .wrongPassphrase {
            throw SGError.config("cannot open PKCS#12 \(what): wrong passphrase")
        } catch .unreadable(let detail) {
            throw SGError.config("cannot read PKCS#12 \(what): \(detail)")
        } catch .missingPrivateKey {
            throw SGError.config("cannot use PKCS#12 \(what): it holds no private key")
        } catch .missingCertificate {
            throw SGError.config("cannot use PKCS#12 \(what): it holds no certificate for its private key")
        }
        var chain = try pem(of: bundle.certificate, what: what)
        for certificate in bundle.chain { chain += try pem(of: certificate, what: what) }
        return ClientCertificate(certificateChainPEM: chain, privateKeyPEM: try unencrypted(bundle.privateKey, what: what))
    }

    /// PEM private key (encrypted or not) → unencrypted PKCS#8 PEM. With no passphrase OpenSSL
    /// is given the empty one (a key encrypted under "" opens, as with `openssl pkey`).
    static func decryptPrivateKeyPEM(_ pem: SecretBytes, passphrase: SecretBytes?, what: String) throws -> SecretBytes {
        let key: EVPKey
        do throws(EVPKey.ReadError) {
            key = try EVPKey(privateKeyPEM: pem, passphrase: passphrase ?? SecretBytes(bytes: []))
        } catch .wrongPassphrase where passphrase == nil {
            throw SGError.config("client key \(what) is encrypted: set client.key-passphrase in the profile")
        } catch .wrongPassphrase, .needsPassphrase {
            throw SGError.config("cannot decrypt client key \(what): wrong key-passphrase")
        } catch .passphraseTooLong {
            throw SGError.config("cannot decrypt client key \(what): the key-passphrase is longer than OpenSSL takes (1 KiB)")
        } catch .unreadable(let detail) {
            throw SGError.config("cannot read client key \(what): \(detail)")
        }
        return try unencrypted(key, what: what)
    }

    private static func unencrypted(_ key: EVPKey, what: String) throws -> SecretBytes {
        do { return try key.unencryptedPEM() } catch {
            throw SGError.config("cannot re-encode client key \(what): \(error)")
        }
    }

    private static func pem(of certificate: X509Certificate, what: String) throws -> [UInt8] {
        do { return try certificate.pem() } catch {
            throw SGError.config("cannot re-encode a certificate of PKCS#12 \(what): \(error)")
        }
    }
}
