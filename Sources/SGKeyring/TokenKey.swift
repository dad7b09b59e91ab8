import SGCore

/// Where a profile's token is kept, named as ArkKeyring names it: service
/// `<serviceName>-<postfix>`, account = the (Ark) profile name (ark-sdk-python 2.1.4, `ark_keyring.py`).
///
/// - CyberArk Identity profiles use Ark's own items: `isp-<user>` (user login, `auth_method`
///   `identity`) or `isp-<service user>` (`identity_service_user`), account = `cache-name` or
///   the profile name, so ark-sdk-python and sg share one login.
/// - Safeguard profiles use `sg-safeguard-<user>`, or `sg-safeguard-certificate` for
///   certificate logins, account = the profile name.
public struct TokenKey: Sendable, Hashable, CustomStringConvertible {
    public var serviceName: String
    public var postfix: String
    public var account: String

    public init(serviceName: String, postfix: String, account: String) {
        self.serviceName = serviceName
        self.postfix = postfix
        self.account = account
    }

    /// The keyring `service` attribute.
    public var service: String { "\(serviceName)-\(postfix)" }
    public var description: String { "\(service) / \(account)" }

    public static let identityService = "isp"
    public static let safeguardService = "sg-safeguard"
    public static let certificatePostfix = "certificate"

    /// The items a profile's token may be under, most likely first: a Safeguard profile's user
    /// and certificate logins; an Identity profile's user and service-user logins.
    public static func candidates(for profile: Profile) -> [TokenKey] {
        switch profile {
        case .safeguard(let p):
            var keys: [TokenKey] = []
            if let u = p.username, !u.isEmpty { keys.append(TokenKey(serviceName: safeguardService, postfix: u, account: p.name)) }
            keys.append(TokenKey(serviceName: safeguardService, postfix: certificatePostfix, account: p.name))
            return keys
        case .identity(let p):
            var keys: [TokenKey] = []
            if let u = p.username, !u.isEmpty { keys.append(TokenKey(serviceName: identityService, postfix: u, account: p.arkProfileName)) }
            if let s = p.serviceUser { keys.append(TokenKey(serviceName: identityService, postfix: s.name, account: p.arkProfileName)) }
            return keys
        }
    }
}
