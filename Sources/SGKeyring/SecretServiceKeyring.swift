import SGCore

/// The desktop keyring through libsecret, storing items exactly as python-keyring's
/// SecretService backend does (python-keyring's `keyring/backends/SecretService.py`, which ArkKeyring uses): schema
/// `org.freedesktop.Secret.Generic`, attributes `service`/`username`/`application`, label
/// `Password for '<account>' on '<service>'`, the secret as `text/plain` UTF-8, in the default
/// collection (login). ArkKeyring and `secret-tool` see sg's items and sg sees theirs.
///
/// A locked collection is reported as `SGError.keyringUnavailable`, never taken for a miss, and
/// no call prompts for an unlock: on a desktop, unlock the login keyring first.
///
///     let kr = SecretServiceKeyring(timeoutMs: 1500)
///     let json = try kr.lookup(service: "isp-alice@corp.example", account: "ark")
public final class SecretServiceKeyring: KeyringBackend {
    public let kind = KeyringKind.secretService
    /// The collection alias items are stored in: `default` (the login keyring) or `session`
    /// (in memory, never locked; useful for CI).
    public let collection: String
    public let timeoutMs: Int
    public var location: String { "Secret Service, collection '\(collection)'" }

    public init(collection: String = "default", timeoutMs: Int = 1500) {
        self.collection = collection
        self.timeoutMs = timeoutMs
    }

    public func store(service: String, account: String, secret: SecretBytes) throws {
        try guarded {
            try requireUnlocked()
            let key = ["service": service, "username": account]
            var wanted = KeyringItem.attributes(service: service, account: account)
            wanted["xdg:schema"] = "org.freedesktop.Secret.Generic"
            // python-keyring items may lack xdg:schema and other clients may omit
            // `application`; such items would not be replaced and a duplicate would be left.
            let existing = try LibSecret.search(key, loadSecrets: false, timeoutMs: timeoutMs)
            if existing.contains(where: { $0.attributes != wanted }) {
                try LibSecret.clear(key, timeoutMs: timeoutMs)
            }
            try LibSecret.store(collection: collection, label: KeyringItem.label(service: service, account: account),
                                attributes: KeyringItem.attributes(service: service, account: account),
                                secret: secret, timeoutMs: timeoutMs)
        }
    }

    public func lookup(service: String, account: String) throws -> SecretBytes? {
        try lookup(services: [service], account: account)[service]
    }

    /// One search (by account, and by service when there is one service) instead of one per
    /// service plus a lock check per miss. Per service, python-keyring returns the first hit; sg
    /// prefers one python-keyring would also have written. A locked item, or a miss in a locked
    /// collection (which may hide its items entirely), is an error, never an empty answer.
    public func lookup(services: [String], account: String) throws -> [String: SecretBytes] {
        try guarded {
            var query = ["username": account]
            if services.count == 1 { query["service"] = services[0] }
            let items = try LibSecret.search(query, loadSecrets: true, timeoutMs: timeoutMs).filter { services.contains($0.service) }
            var found: [String: SecretBytes] = [:]
            for service in services {
                let usable = items.filter { $0.service == service && !$0.locked && $0.secret != nil }
                if let item = usable.first(where: { $0.attributes["application"] == KeyringItem.application }) ?? usable.first {
                    found[service] = item.secret
                }
            }
            if found.isEmpty {
                if items.contains(where: { $0.locked }) { throw lockedError() }
                try requireUnlocked()
            }
            return found
        }
    }

    @discardableResult
    public func delete(service: String, account: String) throws -> Bool {
        try guarded {
            let key = ["service": service, "username": account]
            if try LibSecret.clear(key, timeoutMs: timeoutMs) { return true }
            if try LibSecret.search(key, loadSecrets: false, timeoutMs: timeoutMs).contains(where: { $0.locked }) {
                throw lockedError()
            }
            return false
        }
    }

    public func search(attributes: [String: String], loadSecrets: Bool) throws -> [KeyringItem] {
        try guarded {
            var query = attributes
            if query.isEmpty { query["application"] = KeyringItem.application }
            let items = try LibSecret.search(query, loadSecrets: loadSecrets, timeoutMs: timeoutMs)
            // Asked for secrets: a locked keyring must not look like an empty one.
            if loadSecrets, items.contains(where: { $0.locked }) { throw lockedError() }
            if loadSecrets, items.isEmpty { try requireUnlocked() }
            return items
        }
    }

    /// Is the collection sg stores to locked? (For `sg-token status`.)
    public func isLocked() throws -> Bool {
        try guarded { try LibSecret.lockState(alias: collection, timeoutMs: timeoutMs) == .locked }
    }

    func requireUnlocked() throws {
        switch try LibSecret.lockState(alias: collection, timeoutMs: timeoutMs) {
        case .unlocked: return
        case .locked: throw lockedError()
        case .missing:
            throw SGError.keyringUnavailable("the Secret Service has no '\(collection)' collection yet (a fresh login keyring); "
                + "create it by unlocking gnome-keyring (gnome-keyring-daemon --unlock) or use SG_KEYRING=file")
        }
    }

    func lockedError() -> SGError {
        let which = collection == "default" ? "the login keyring" : "the '\(collection)' keyring"
        return .keyringUnavailable("\(which) is locked; unlock it (log in to the desktop, or use seahorse / "
            + "gnome-keyring-daemon --unlock) and retry, or use SG_KEYRING=file")
    }

    func guarded<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let f as LibSecret.Failure {
            throw SecretServiceKeyring.explain(f, timeoutMs: timeoutMs)
        }
    }

    /// Turns a libsecret/GDBus failure into the one line a user can act on.
    static func explain(_ f: LibSecret.Failure, timeoutMs: Int) -> SGError {
        if f.timedOut {
            return .keyringUnavailable("\(f.message) (keyring.dbus-timeout-ms is \(timeoutMs)); is an unlock prompt waiting? Or use SG_KEYRING=file")
        }
        switch (f.domain, f.code) {
        case ("g-io-error-quark", 0) where f.message.contains("autolaunch"),
             ("g-io-error-quark", 13) where f.message.contains("autolaunch"):
            return .keyringUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set); use SG_KEYRING=file or run inside a desktop session")
        case ("g-io-error-quark", _) where f.message.hasPrefix("Could not connect"):
            return .keyringUnavailable("cannot connect to the D-Bus session bus (\(f.message)); check DBUS_SESSION_BUS_ADDRESS or use SG_KEYRING=file")
        case ("g-dbus-error-quark", 2), ("g-dbus-error-quark", 1):
            return .keyringUnavailable("no Secret Service on the session bus (\(f.message)); install and start gnome-keyring, or use SG_KEYRING=file")
        case ("secret-error", 2):
            return .keyringUnavailable("the login keyring is locked; unlock it (log in to the desktop, or gnome-keyring-daemon --unlock) and retry, or use SG_KEYRING=file")
        case ("g-dbus-error-quark", 19):
            return .keyringUnavailable("the Secret Service has no login keyring yet (\(f.message)); unlock gnome-keyring once to create it, or use SG_KEYRING=file")
        default:
            return .keyringUnavailable("Secret Service: \(f.message) [\(f.domain) \(f.code)]")
        }
    }
}
