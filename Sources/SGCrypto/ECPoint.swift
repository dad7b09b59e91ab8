import COpenSSL

/// The named curves ssh uses for ECDSA keys.
public enum NamedCurve: Sendable, CaseIterable {
    case p256, p384, p521

    /// Bytes of one coordinate.
    public var fieldBytes: Int {
        switch self {
        case .p256: return 32
        case .p384: return 48
        case .p521: return 66
        }
    }

    var nid: Int32 {
        switch self {
        case .p256: return NID_X9_62_prime256v1
        case .p384: return NID_secp384r1
        case .p521: return NID_secp521r1
        }
    }
}

/// An OpenSSL EC_GROUP: the curve a point lives on.
final class ECGroup {
    let pointer: OpaquePointer
    let curve: NamedCurve

    init(_ curve: NamedCurve) throws(OpenSSLError) {
        guard let group = EC_GROUP_new_by_curve_name(curve.nid) else { throw OpenSSLError.drain() }
        pointer = group
        self.curve = curve
    }

    deinit { EC_GROUP_free(pointer) }
}

/// A point on a named curve (OpenSSL's EC_POINT), with the group it belongs to; cleared when the
/// owner goes (a public key's point is not secret, but d·G is computed from a private scalar).
///
///     let given = try ECPoint(curve: .p256, octets: q)
///     guard given == (try ECPoint(curve: .p256, generatorTimes: d)) else { … }
public final class ECPoint: Equatable {
    let pointer: OpaquePointer
    let group: ECGroup

    private init(group: ECGroup) throws(OpenSSLError) {
        guard let point = EC_POINT_new(group.pointer) else { throw OpenSSLError.drain() }
        pointer = point
        self.group = group
    }

    deinit { EC_POINT_clear_free(pointer) }

    /// The point encoded in `octets` (SEC1: compressed or uncompressed); fails when it is not on the curve.
    public convenience init(curve: NamedCurve, octets: UnsafeRawBufferPointer) throws(OpenSSLError) {
        try self.init(group: ECGroup(curve))
        guard let start = octets.baseAddress,
              EC_POINT_oct2point(group.pointer, pointer, start.assumingMemoryBound(to: UInt8.self), octets.count, nil) == 1 else {
            throw OpenSSLError.drain()
        }
    }

    /// scalar·G, the public point of the private scalar.
    public convenience init(curve: NamedCurve, generatorTimes scalar: BigNumber) throws(OpenSSLError) {
        try self.init(group: ECGroup(curve))
        guard EC_POINT_mul(group.pointer, pointer, scalar.pointer, nil, nil, nil) == 1 else { throw OpenSSLError.drain() }
    }

    /// The uncompressed SEC1 encoding (0x04 ‖ x ‖ y).
    public func uncompressedOctets() throws(OpenSSLError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1 + 2 * group.curve.fieldBytes)
        guard EC_POINT_point2oct(group.pointer, pointer, POINT_CONVERSION_UNCOMPRESSED, &out, out.count, nil) == out.count else {
            throw OpenSSLError.drain()
        }
        return out
    }

    /// Points on different curves are never equal.
    public static func == (a: ECPoint, b: ECPoint) -> Bool {
        a.group.curve == b.group.curve && EC_POINT_cmp(a.group.pointer, a.pointer, b.pointer, nil) == 0
    }
}
