import SGCore

/// One stored secret and the attributes it is found by.
///
/// Items carry the attributes python-keyring's SecretService backend gives them, so that
/// ArkKeyring, `secret-tool` and sg all see the same items: `service`, `username` (the
/// account, i.e. the Ark profile name) and `application = Python keyring library`.
public struct KeyringItem: Sendable {
    public var service: String
    public var account: String
    public var label: String
    public var attributes: [String: String]
    /// nil when the item is locked (Secret Service) or secrets were not asked for.
    public var secret: SecretBytes?
    public var locked: Bool

    public init(service: String, account: String, label: String, attributes: [String: String],
                secret: SecretBytes?, locked: Bool = false) {
        self.service = service
        self.account = account
        self.label = label
        self.attributes = attributes
        self.secret = secret
        self.locked = locked
    }

    /// python-keyring's label: `Password for '<account>' on '<service>'`.
    public static func label(service: String, account: String) -> String {
        "Password for '\(account)' on '\(service)'"
    }

    /// The attributes python-keyring writes (python-keyring's `keyring/backends/SecretService.py`, which ArkKeyring uses).
    public static func attributes(service: String, account: String) -> [String: String] {
        ["service": service, "username": account, "application": KeyringItem.application]
    }

    public static let application = "Python keyring library"
}

/// A place secrets are kept, addressed as python-keyring addresses them: by service and
/// account (`username` attribute).
///
///     let backend = try KeyringSelection.backend(config: config.keyring)
///     try backend.store(service: "isp-alice", account: "ark", secret: json)
public protocol KeyringBackend: AnyObject, Sendable {
    /// `secret-service` or `file`.
    var kind: KeyringKind { get }
    /// Where the items live, for `sg-token status` (collection alias or folder).
    var location: String { get }
    /// Stores or replaces the item for service+account.
    func store(service: String, account: String, secret: SecretBytes) throws
    /// The secret for service+account, nil when there is none. A locked keyring is an error,
    /// never a nil.
    func lookup(service: String, account: String) throws -> SecretBytes?
    /// Deletes the item(s) for service+account; true when something was deleted.
    @discardableResult
    func delete(service: String, account: String) throws -> Bool
    /// Items whose attributes include every pair of `attributes` (empty: every sg-visible item).
    func search(attributes: [String: String], loadSecrets: Bool) throws -> [KeyringItem]
    /// The secrets of one account under several services, by service (absent: no item), as
    /// `lookup` finds them, in as few keyring queries as the backend can.
    func lookup(services: [String], account: String) throws -> [String: SecretBytes]
}

extension KeyringBackend {
    public func lookup(services: [String], account: String) throws -> [String: SecretBytes] {
        var found: [String: SecretBytes] = [:]
        for service in services {
            if let secret = try lookup(service: service, account: account) { found[service] = secret }
        }
        return found
    }
}

public enum KeyringKind: String, Sendable {
    case secretService = "secret-service"
    case file
}
