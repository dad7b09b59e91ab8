import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL BIGNUM. Every number sg holds may be key material (an RSA prime, an EC scalar), so
/// the owner clears it when it goes (`BN_clear_free`), and its bytes come out only in memory that
/// is wiped after use.
///
///     let product = try BigNumber(magnitude: p).multiplied(by: BigNumber(magnitude: q))
///     guard product == (try BigNumber(magnitude: n)) else { … }
public final class BigNumber: Equatable {
    let pointer: OpaquePointer

    /// Takes a BIGNUM the caller owns.
    init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { BN_clear_free(pointer) }

    /// The unsigned big-endian number `magnitude`.
    public convenience init(magnitude: UnsafeRawBufferPointer) throws(OpenSSLError) {
        guard magnitude.count < Int(Int32.max),
              let number = BN_bin2bn(magnitude.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(magnitude.count), nil) else {
            throw OpenSSLError.drain()
        }
        self.init(takingOwnership: number)
    }

    /// self × other (in OpenSSL's secure heap for the intermediate values).
    public func multiplied(by other: BigNumber) throws(OpenSSLError) -> BigNumber {
        guard let context = BN_CTX_secure_new() else { throw OpenSSLError.drain() }
        defer { BN_CTX_free(context) }
        guard let product = BN_new() else { throw OpenSSLError.drain() }
        let owner = BigNumber(takingOwnership: product)
        guard BN_mul(product, pointer, other.pointer, context) == 1 else { throw OpenSSLError.drain() }
        return owner
    }

    public static func == (a: BigNumber, b: BigNumber) -> Bool { BN_cmp(a.pointer, b.pointer) == 0 }

    /// The magnitude, big-endian without leading zeros, in a buffer wiped after `body`.
    public func withMagnitude<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let size = (Int(BN_num_bits(pointer)) + 7) / 8
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(size, 1), alignment: 8)
        defer { explicit_bzero(buffer.baseAddress!, buffer.count); buffer.deallocate() }
        let written = Int(BN_bn2bin(pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<written]))
    }
}
