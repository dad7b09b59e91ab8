import CSGSys
import SGCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Descriptors open when sg-exec started (the user's `3<file` redirections): the child keeps
/// those; everything sg-exec opened itself (sockets, config files) is closed at exec.
public enum InheritedDescriptors {
    nonisolated(unsafe) private static var atStart: Set<Int32> = [0, 1, 2]

    /// Call first thing in main.
    public static func recordAtStart() { atStart = openDescriptors() }

    static func openDescriptors() -> Set<Int32> {
        var out: Set<Int32> = []
        guard let dir = opendir("/proc/self/fd") else { return [0, 1, 2] }
        let own = dirfd(dir)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { out.insert(fd) }
        }
        closedir(dir)
        return out
    }

    /// Marks every descriptor sg-exec opened itself close-on-exec, except `keep`.
    public static func closeOwnOnExec(keep: [Int32]) {
        let keepSet = atStart.union(keep)
        for fd in openDescriptors() where !keepSet.contains(fd) {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        for fd in keep { _ = fcntl(fd, F_SETFD, 0) }
    }
}

/// The child's environment as a C `envp`: sg-exec's own, without what it must not pass on, plus
/// the injected variables. Entries that hold secrets are wiped when this is released.
final class ChildEnvironment {
    private var entries: [UnsafeMutablePointer<CChar>] = []
    private var secretSizes: [Int: Int] = [:]

    init(dropping dropped: Set<String>, setting vars: [(name: String, value: SecretBytes)]) {
        let overridden = Set(vars.map(\.name))
        var p = environ
        while let entry = p.pointee {
            let len = strlen(entry)
            let raw = UnsafeRawBufferPointer(start: entry, count: len)
            let eq = raw.firstIndex(of: UInt8(ascii: "=")) ?? len
            let name = String(decoding: raw[0..<eq], as: UTF8.self)
            if !dropped.contains(name) && !overridden.contains(name) {
                let copy = UnsafeMutablePointer<CChar>.allocate(capacity: len + 1)
                copy.initialize(from: entry, count: len + 1)
                entries.append(copy)
            }
            p += 1
        }
        for (name, value) in vars {
            let n = Array(name.utf8)
            let size = n.count + 1 + value.count + 1
            let buf = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            n.withUnsafeBytes { UnsafeMutableRawPointer(buf).copyMemory(from: $0.baseAddress!, byteCount: n.count) }
            buf[n.count] = CChar(UInt8(ascii: "="))
            value.withUnsafeBytes { raw in
                if raw.count > 0 { UnsafeMutableRawPointer(buf + n.count + 1).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            }
            buf[size - 1] = 0
            secretSizes[entries.count] = size
            entries.append(buf)
        }
    }

    deinit {
        for (i, e) in entries.enumerated() {
            if let size = secretSizes[i] { explicit_bzero(e, size) }
            e.deallocate()
        }
    }

    func withEnvp<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var array: [UnsafeMutablePointer<CChar>?] = entries.map { $0 }
        array.append(nil)
        return array.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// A NUL-terminated argv kept alive for execve.
final class CArguments {
    private var pointers: [UnsafeMutablePointer<CChar>?]
    init(_ args: [String]) { pointers = args.map { strdup($0) } + [nil] }
    deinit { pointers.forEach { free($0) } }
    func withArgv<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Starts the child and, when sg-exec must stay (cleanup, masking), supervises it: forwards
/// signals, masks output, reaps it and removes the files it was given.
public enum ChildProcess {
    /// Replaces sg-exec with the command (nothing to clean up, no masking). Returns only on failure.
    static func execInPlace(path: String, argv: CArguments, environment: ChildEnvironment,
                            keep: [Int32], shown: String) -> CommandStartError {
        InheritedDescriptors.closeOwnOnExec(keep: keep)
        _ = sg_restore_core_limit()
        let e: Int32 = argv.withArgv { a in environment.withEnvp { env in
            _ = execve(path, a, env)
            return errno
        } }
        Tool.harden()
        return CommandLookup.failure(shown, errno: e)
    }

    /// The signals sg-exec takes over while it supervises: all but the ones that mean sg-exec
    /// itself crashed and the uncatchable ones.
    static func supervisedSignals() -> sigset_t {
        var set = sigset_t()
        sigfillset(&set)
        for s in [SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT] { sigdelset(&set, s) }
        return set
    }

    /// Kernel-raised signals are never forwarded: a terminal's ^C, ^\, ^Z, hang-up and resize
    /// already went to the whole foreground process group, which the child shares; the others
    /// (SIGPIPE, SIGTTOU) were caused by sg-exec itself. Signals sent by a process are forwarded.
    static func shouldForward(signal: Int32, code: Int32) -> Bool {
        if signal == SIGCHLD { return false }
        return code != sg_si_kernel()
    }

    /// Spawns the child and supervises it until it ends; returns its status as a shell reports it.
    ///
    /// With `rotation` (`--restart-on-change`, `--signal-on-change`) a change of a watched secret
    /// wakes the loop: the secrets are fetched again, then the child is replaced (stop signal,
    /// grace period, SIGKILL, a new child with the new values) or signalled after its files were
    /// rewritten. A failed re-fetch keeps the old child and is tried again with backoff. Only a
    /// child that ends on its own ends sg-exec.
    static func spawnAndWait(path: String, launch first: ChildLaunch, mask: Bool, rotation: ChildRotation? = nil,
                             originalMask: sigset_t, shown: String) throws -> Int32 {
        var supervised = supervisedSignals()
        let sfd = sg_signalfd(&supervised)
        guard sfd >= 0 else { throw SGError.io("signalfd: \(String(cString: strerror(errno)))") }
        defer { close(sfd) }

        var masked: [SecretBytes] = []
        var streams: [MaskedStream] = []
        /// Starts one child with `launch`'s argv, environment and files, its output masked when asked.
        func spawn(_ launch: ChildLaunch) throws -> pid_t {
            var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
            if mask {
                guard sg_pipe_cloexec(&outPipe) == 0, sg_pipe_cloexec(&errPipe) == 0 else {
                    throw SGError.io("pipe: \(String(cString: strerror(errno)))")
                }
            }
            InheritedDescriptors.closeOwnOnExec(keep: launch.files.inheritedFDs)
            let options = ProcessSpawn.Options(stdout: mask ? .descriptor(outPipe[1]) : .inherit,
                                               stderr: mask ? .descriptor(errPipe[1]) : .inherit,
                                               signalMask: originalMask, parentDeathSignal: SIGTERM)
            let started = launch.argv.withArgv { a in launch.environment.withEnvp { env in
                Result { () throws(Errno) in try ProcessSpawn.start(path: path, argv: a, envp: env, options: options) }
            } }
            launch.files.closeInherited()
            if outPipe[1] >= 0 { close(outPipe[1]); close(errPipe[1]) }
            if case .failure = started, outPipe[0] >= 0 { close(outPipe[0]); close(errPipe[0]) }
            let pid = try started.mapError { CommandLookup.failure(shown, errno: $0.rawValue) }.get()
            if mask {
                // Old and new values: a restarted child may still print what it was given before.
                masked += launch.secrets
                streams += [MaskedStream(from: outPipe[0], to: 1, masker: OutputMasker(secrets: masked)),
                            MaskedStream(from: errPipe[0], to: 2, masker: OutputMasker(secrets: masked))]
            }
            return pid
        }

        var current = first
        var pid = try spawn(first)
        var status: Int32?
        /// A replacement waiting for the old child to end, and when SIGKILL follows the stop signal.
        var replacing: (next: ChildLaunch, killAt: Double)?
        var killed = false

        /// A change (or a retry after a failed re-fetch): fetch again and act.
        func rotate(_ rotation: ChildRotation) {
            guard replacing == nil else { return }
            switch rotation.refresh() {
            case nil:
                rotation.failed()
            case .signalled(let newSecrets)?:
                rotation.succeeded()
                masked += newSecrets
                for s in streams where !s.closed { s.masker.add(secrets: newSecrets) }
                if case .signal(let sig) = rotation.mode {
                    Stderr.write("sg-exec: a secret changed: files rewritten, \(shown) sent signal \(sig)\n")
                    kill(pid, sig)
                }
            case .restart(let next)?:
                rotation.succeeded()
                if case .restart(let stopSignal, let grace) = rotation.mode {
                    Stderr.write("sg-exec: a secret changed: stopping \(shown) (signal \(stopSignal)) to restart it with the new values\n")
                    replacing = (next, Monotonic.now + grace)
                    killed = false
                    kill(pid, stopSignal)
                }
            }
        }

        while status == nil || streams.contains(where: { !$0.closed }) {
            var pfds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
            if let rotation, status == nil { pfds.append(pollfd(fd: rotation.wakeFD, events: Int16(POLLIN), revents: 0)) }
            let fixed = pfds.count
            for s in streams where !s.closed { pfds.append(pollfd(fd: s.from, events: Int16(POLLIN), revents: 0)) }
            // After the child ended, a grandchild may still hold the pipes: stop when they go quiet.
            let holding = streams.contains { !$0.closed && $0.masker.pending > 0 }
            var timeout: Int32 = status != nil ? 200 : (holding ? 1000 : -1)
            var wakeAt: Double?
            if let r = replacing, !killed { wakeAt = r.killAt }
            if let at = rotation?.retryAt, replacing == nil { wakeAt = min(wakeAt ?? at, at) }
            if let at = wakeAt, status == nil {
                let ms = Int32(max(0, min(3_600_000, ((at - Monotonic.now) * 1000).rounded(.up))))
                timeout = timeout < 0 ? ms : min(timeout, ms)
            }
            let n = poll(&pfds, nfds_t(pfds.count), timeout)
            if n < 0 { if errno == EINTR { continue }; break }
            if let r = replacing, !killed, Monotonic.now >= r.killAt {
                Stderr.write("sg-exec: \(shown) did not stop within the grace period: SIGKILL\n")
                kill(pid, SIGKILL)
                killed = true
            }
            if let rotation, replacing == nil, status == nil, let at = rotation.retryAt, Monotonic.now >= at {
                rotation.retryAt = nil
                rotate(rotation)
            }
            if n == 0 {
                if status != nil { break }
                for s in streams { s.flushHeld() }
                continue
            }
            if pfds[0].revents != 0 {
                var signo: Int32 = 0, code: Int32 = 0, sender: pid_t = 0
                while sg_signalfd_read(sfd, &signo, &code, &sender) == 1 {
                    if signo == SIGCHLD {
                        var st: Int32 = 0
                        guard waitpid(pid, &st, WNOHANG) == pid else { continue }
                        if let r = replacing {
                            // The old child is gone: its files go with it, the new one starts.
                            current.files.removeAll()
                            current = r.next
                            replacing = nil
                            do {
                                pid = try spawn(current)
                                Stderr.write("sg-exec: \(shown) restarted with the new values\n")
                            } catch {
                                status = st
                                throw error
                            }
                        } else {
                            status = st
                        }
                    } else if shouldForward(signal: signo, code: code) {
                        kill(pid, signo)
                    } else if code == sg_si_kernel() && (signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU) {
                        // The terminal stopped the child's (and our) process group: stop with it,
                        // so the shell sees the job stopped; its SIGCONT wakes both.
                        kill(getpid(), SIGSTOP)
                    }
                }
            }
            if let rotation, fixed > 1, pfds[1].revents != 0 {
                rotation.drain()
                if status == nil { rotate(rotation) }
            }
            for p in pfds.dropFirst(fixed) where p.revents != 0 {
                // Open streams only: a restarted child's pipe may reuse the number of a closed one,
                // whose masker does not know the new values.
                streams.first { !$0.closed && $0.from == p.fd }?.pump()
            }
            streams.removeAll { $0.closed }
        }
        for s in streams { s.finish() }
        if status == nil { status = WaitStatus.wait(for: pid) }
        current.files.removeAll()
        return WaitStatus.exitCode(status!)
    }
}

/// One of the child's output pipes, masked onto one of sg-exec's own descriptors.
final class MaskedStream {
    let from: Int32
    let to: Int32
    let masker: OutputMasker
    private(set) var closed = false
    private var buffer = [UInt8](repeating: 0, count: 16384)

    init(from: Int32, to: Int32, masker: OutputMasker) {
        self.from = from
        self.to = to
        self.masker = masker
    }

    deinit { SecretBytes.wipe(&buffer) }

    func pump() {
        let n = read(from, &buffer, buffer.count)
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        if n <= 0 { finish(); return }
        var out = buffer.withUnsafeBytes { masker.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        write(&out)
    }

    func flushHeld() {
        guard !closed, masker.pending > 0 else { return }
        var out = masker.flush()
        write(&out)
    }

    func finish() {
        guard !closed else { return }
        closed = true
        var out = masker.finish()
        write(&out)
        close(from)
    }

    private func write(_ out: inout [UInt8]) {
        out.withUnsafeBytes { try? WriteAll.write($0, to: to) }
        SecretBytes.wipe(&out)
    }
}
