import COpenSSL

/// An OpenSSL X.509 certificate (X509), freed when the owner goes.
///
///     let leaf = try X509Certificate(pem: chainPEM)   // the first certificate of the text
///     print(leaf.subject)                              // /CN=sg-client
public final class X509Certificate {
    let pointer: OpaquePointer

    /// Takes a certificate the caller owns.
    init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }

    /// The first certificate in the PEM text `pem`.
    public convenience init(pem: [UInt8]) throws(OpenSSLError) {
        OpenSSLError.clearQueue()
        let certificate: OpaquePointer?
        do {
            certificate = try pem.withUnsafeBytes { raw in
                try MemoryBIO.reading(raw) { bio in PEM_read_bio_X509(bio.pointer, nil, nil, nil) }
            }
        } catch {
            throw error as? OpenSSLError ?? OpenSSLError.drain()
        }
        guard let certificate else { throw OpenSSLError.drain() }
        self.init(takingOwnership: certificate)
    }

    /// The subject in OpenSSL's one-line form (`/O=Example/CN=sg-client`).
    public var subject: String {
        var line = [CChar](repeating: 0, count: 512)
        X509_NAME_oneline(X509_get_subject_name(pointer), &line, Int32(line.count))
        return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The certificate as PEM (`BEGIN CERTIFICATE`).
    public func pem() throws(OpenSSLError) -> [UInt8] {
        let out = try MemoryBIO()
        guard PEM_write_bio_X509(out.pointer, pointer) == 1 else { throw OpenSSLError.drain() }
        return out.contents().unsafeArray()
    }
}
