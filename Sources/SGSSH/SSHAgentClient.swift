import SGCore
import CSGSys
#if canImport(Glibc)
import Glibc
#endif

/// A client for ssh-agent over its Unix socket (`SSH_AUTH_SOCK`), speaking the messages of
/// draft-miller-ssh-agent that sg needs: add (with lifetime / confirm constraints), list,
/// remove, remove all.
///
/// The peer is checked with SO_PEERCRED before any key is sent: it must run as our uid or as root
/// (root can read our memory anyway). A socket owned by anyone else is refused, so a key fetched
/// by root under `sudo -E` is never handed to the invoking user's agent by accident.
///
///     let agent = try SSHAgentClient.fromEnvironment()
///     try agent.add(key, comment: "sg:deploy", lifetime: 3600, confirm: false)
public final class SSHAgentClient {
    public let socketPath: String
    private let fd: Int32
    private let timeout: Double

    /// Message numbers (OpenSSH authfd.h).
    enum Message: UInt8 {
        case failure = 5, success = 6
        case requestIdentities = 11, identitiesAnswer = 12
        case addIdentity = 17, removeIdentity = 18, removeAllIdentities = 19
        case addIDConstrained = 25
    }

    enum Constraint: UInt8 { case lifetime = 1, confirm = 2 }

    /// ssh-agent refuses messages over 256 KiB; so do we.
    static let maximumMessage = 256 * 1024

    /// Connects to the agent `SSH_AUTH_SOCK` names.
    public static func fromEnvironment(_ env: [String: String] = Environment.current, timeout: Double = 10) throws -> SSHAgentClient {
        guard let path = env["SSH_AUTH_SOCK"], !path.isEmpty else {
            throw SGError.serviceUnavailable("SSH_AUTH_SOCK is not set: is ssh-agent running? (start one with: eval \"$(ssh-agent -s)\")")
        }
        return try SSHAgentClient(socketPath: path, timeout: timeout)
    }

    /// Connects to the agent at `socketPath`; every read and write then waits at most `timeout` seconds.
    public init(socketPath: String, timeout: Double = 10) throws {
        self.socketPath = socketPath
        self.timeout = timeout
        func unavailable(_ what: String) -> SGError {
            .serviceUnavailable("cannot use ssh-agent: \(what): is ssh-agent running? SSH_AUTH_SOCK=\(socketPath)")
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard pathBytes.count < capacity, !pathBytes.contains(0) else { throw unavailable("socket path too long or invalid") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
            raw[pathBytes.count] = 0
        }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw unavailable("socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let err = String(cString: strerror(errno))
            close(s)
            throw unavailable(err)
        }
        var peerUID: uid_t = 0
        var peerPID: pid_t = 0
        guard sg_peer_credentials(s, &peerUID, &peerPID) == 0 else {
            close(s)
            throw unavailable("cannot read the peer's credentials (SO_PEERCRED)")
        }
        do {
            try SSHAgentClient.checkPeer(uid: peerUID, ourUID: geteuid(), socketPath: socketPath)
        } catch {
            close(s)
            throw error
        }
        fd = s
    }

    deinit { close(fd) }

    /// The agent's uid must be ours or root's; anything else could be another user's agent (or
    /// a process pretending to be one) that would receive our private keys.
    public static func checkPeer(uid peer: uid_t, ourUID: uid_t, socketPath: String = "") throws {
        guard peer == ourUID || peer == 0 else {
            throw SGError.denied("the ssh-agent at \(socketPath) runs as uid \(peer), not as you (uid \(ourUID)); refusing to send it keys")
        }
    }

    // MARK: operations

    /// Adds `key` (SSH2_AGENTC_ADD_IDENTITY, or ADD_ID_CONSTRAINED with a lifetime in seconds
    /// and/or the confirm-each-use flag). An existing identical key gets the new constraints.
    public func add(_ key: PrivateKey, comment: String? = nil, lifetime: UInt32? = nil, confirm: Bool = false) throws {
        let w = SSHWriter(capacity: 4096)
        let constrained = lifetime != nil || confirm
        w.byte(constrained ? Message.addIDConstrained.rawValue : Message.addIdentity.rawValue)
        key.agentBlob.withUnsafeBytes { w.raw($0) }
        w.string(comment ?? key.comment)
        if let lifetime {
            w.byte(Constraint.lifetime.rawValue)
            w.uint32(lifetime)
        }
        if confirm { w.byte(Constraint.confirm.rawValue) }
        let reply = try request(w)
        guard reply.firstByte == Message.success.rawValue else {
            throw SGError.denied("ssh-agent refused the key \(key.publicKey.fingerprint)" +
                                 (confirm ? " (does this agent support confirmation? it needs SSH_ASKPASS in its environment)" : ""))
        }
    }

    /// The identities the agent holds (SSH2_AGENTC_REQUEST_IDENTITIES). Keys of types sg does
    /// not know (certificates, sk-*, DSA) are skipped.
    public func list() throws -> [PublicKey] {
        let w = SSHWriter(capacity: 8)
        w.byte(Message.requestIdentities.rawValue)
        let reply = try request(w)
        return try reply.withUnsafeBytes { raw -> [PublicKey] in
            var r = SSHReader(raw, context: "ssh-agent identities answer")
            guard try r.byte() == Message.identitiesAnswer.rawValue else {
                throw SGError.unexpectedResponse("ssh-agent did not answer the identities request")
            }
            let n = try r.uint32()
            guard n <= 4096 else { throw SGError.unexpectedResponse("ssh-agent claims \(n) identities") }
            var keys: [PublicKey] = []
            for _ in 0..<n {
                let blob = Array(try r.string())
                let comment = try r.text(maxLength: 65536)
                if let key = try? PublicKey(blob: blob, comment: comment) { keys.append(key) }
            }
            return keys
        }
    }

    /// Removes one key (SSH2_AGENTC_REMOVE_IDENTITY). Throws `unknownSecret`-free
    /// `SGError.denied` when the agent does not hold it.
    public func remove(_ publicKey: PublicKey) throws {
        let w = SSHWriter()
        w.byte(Message.removeIdentity.rawValue)
        w.string(publicKey.blob)
        guard try request(w).firstByte == Message.success.rawValue else {
            throw SGError.denied("ssh-agent did not remove \(publicKey.fingerprint) (it does not hold that key)")
        }
    }

    /// Removes every key (SSH2_AGENTC_REMOVE_ALL_IDENTITIES).
    public func removeAll() throws {
        let w = SSHWriter(capacity: 8)
        w.byte(Message.removeAllIdentities.rawValue)
        guard try request(w).firstByte == Message.success.rawValue else {
            throw SGError.denied("ssh-agent refused to remove all identities")
        }
    }

    /// Does the agent hold this key?
    public func contains(_ publicKey: PublicKey) throws -> Bool {
        try list().contains { $0.blob == publicKey.blob }
    }

    // MARK: framing

    /// Sends one framed message and returns the reply body (type byte first), in wiped memory.
    private func request(_ body: SSHWriter) throws -> SecretBytes {
        let frame = SSHWriter(capacity: body.count + 4)
        frame.uint32(UInt32(body.count))
        body.withBytes { frame.raw($0) }
        try frame.withBytes { try sendAll($0) }

        var header = [UInt8](repeating: 0, count: 4)
        try header.withUnsafeMutableBytes { try receiveAll($0) }
        let length = Int(UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3]))
        guard length >= 1, length <= SSHAgentClient.maximumMessage else {
            throw SGError.unexpectedResponse("ssh-agent sent a reply of \(length) bytes")
        }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 8)
        do {
            try receiveAll(buf)
        } catch {
            explicit_bzero(buf.baseAddress!, length)
            buf.deallocate()
            throw error
        }
        return SecretBytes(takingOwnershipOf: buf, count: length)
    }

    private func sendAll(_ data: UnsafeRawBufferPointer) throws {
        do { try WriteAll.send(data, to: fd) } catch {
            if error.rawValue == EAGAIN || error.rawValue == EWOULDBLOCK {
                throw SGError.timeout("writing to ssh-agent at \(socketPath) (no progress in \(Int(timeout)) s)")
            }
            throw SGError.serviceUnavailable("writing to ssh-agent failed: \(error): is ssh-agent running? SSH_AUTH_SOCK=\(socketPath)")
        }
    }

    private func receiveAll(_ buf: UnsafeMutableRawBufferPointer) throws {
        var got = 0
        while got < buf.count {
            let n = recv(fd, buf.baseAddress! + got, buf.count - got, 0)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw SGError.timeout("waiting for ssh-agent at \(socketPath) (no answer in \(Int(timeout)) s)")
                }
                throw SGError.serviceUnavailable("reading from ssh-agent failed: \(String(cString: strerror(errno))): SSH_AUTH_SOCK=\(socketPath)")
            }
            if n == 0 { throw SGError.unexpectedResponse("ssh-agent at \(socketPath) closed the connection") }
            got += n
        }
    }
}

/// Lifetimes as ssh-add `-t` takes them: seconds, or sshd_config TIME FORMAT (`90`, `30m`, `1h30m`, `2d`).
public enum SSHLifetime {
    public static func parse(_ text: String) throws -> UInt32 {
        guard !text.isEmpty, text.utf8.count <= 32 else { throw SGError.usage("invalid lifetime '\(text)'") }
        var total: UInt64 = 0
        var number: UInt64 = 0
        var haveDigits = false
        for c in text {
            if let d = c.wholeNumberValue, c.isASCII {
                number = number * 10 + UInt64(d)
                haveDigits = true
                guard number <= UInt64(UInt32.max) else { throw SGError.usage("lifetime '\(text)' is too large") }
                continue
            }
            let unit: UInt64
            switch c {
            case "s", "S": unit = 1
            case "m", "M": unit = 60
            case "h", "H": unit = 3600
            case "d", "D": unit = 86400
            case "w", "W": unit = 604800
            default: throw SGError.usage("invalid lifetime '\(text)' (use seconds or e.g. 30m, 1h30m)")
            }
            guard haveDigits else { throw SGError.usage("invalid lifetime '\(text)'") }
            total += number * unit
            number = 0
            haveDigits = false
        }
        total += number
        guard total > 0, total <= UInt64(UInt32.max) else { throw SGError.usage("lifetime '\(text)' is out of range") }
        return UInt32(total)
    }
}

extension SecretBytes {
    var firstByte: UInt8? { withUnsafeBytes { $0.first } }
}
