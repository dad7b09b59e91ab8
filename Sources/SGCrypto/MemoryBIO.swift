import COpenSSL
import SGCore

/// An OpenSSL memory BIO, the stream the PEM and DER readers and writers work on.
///
/// A reading BIO (`reading(_:_:)`) reads the caller's bytes in place, without a copy of a key or a
/// PKCS#12 file, so it lives only inside the closure that lends it. A writing BIO (`init()`)
/// collects what OpenSSL writes; OpenSSL frees its buffer with `OPENSSL_clear_free`, and
/// `contents()` copies it into wiped storage.
///
///     let pem = try MemoryBIO.reading(bytes) { bio in PEM_read_bio_X509(bio.pointer, nil, nil, nil) }
final class MemoryBIO {
    let pointer: OpaquePointer

    private init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { BIO_free(pointer) }

    /// An empty BIO for OpenSSL to write into.
    convenience init() throws(OpenSSLError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain() }
        self.init(takingOwnership: bio)
    }

    /// A read-only BIO over `bytes`, valid only inside `body` (it does not copy them).
    static func reading<R>(_ bytes: UnsafeRawBufferPointer, _ body: (MemoryBIO) throws -> R) throws -> R {
        guard bytes.count < Int(Int32.max) else { throw OpenSSLError(reasons: "input larger than 2 GiB") }
        // BIO_new_mem_buf refuses a NULL buffer, which is what an empty Swift buffer has; a static
        // string's storage lives as long as the process.
        let start = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
        guard let bio = BIO_new_mem_buf(start, Int32(bytes.count)) else { throw OpenSSLError.drain() }
        return try body(MemoryBIO(takingOwnership: bio))
    }

    /// A copy of what has been written, in wiped storage.
    func contents() -> SecretBytes {
        var start: UnsafeMutablePointer<CChar>? = nil
        let count = sg_bio_get_mem_data(pointer, &start)
        guard count > 0, let start else { return SecretBytes(bytes: []) }
        return SecretBytes(bytes: UnsafeRawBufferPointer(start: start, count: count))
    }
}
