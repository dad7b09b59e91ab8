import SGCore
import SGTransport

/// The appliance's error answers, turned into one actionable `SGError` each.
///
/// Safeguard bodies look like `{"Code": 60108, "Message": "...", "InnerError": null}`; rSTS
/// bodies like `{"error": "...", "error_description": "...", "success": false}`; some rSTS
/// failures are plain text ("Invalid password.").
public struct SafeguardAPIError: Sendable {
    public let status: Int
    public let code: Int?
    public let message: String?

    public init(_ response: HTTPResponse) {
        status = response.status
        var code: Int?
        var message: String?
        if let json = try? JSONValue.parse(response.body) {
            code = json["Code"]?.intValue
            message = json["Message"]?.text
            if let desc = json["error_description"]?.text, !desc.isEmpty { message = desc }
            else if let err = json["error"]?.text, message == nil { message = err }
            if let modelState = json["ModelState"]?.objectMembers {
                for (field, value) in modelState {
                    let texts = value.arrayValue?.compactMap(\.text) ?? []
                    if !texts.isEmpty { message = (message ?? "") + " (\(field): \(texts.joined(separator: "; ")))" }
                }
            }
        } else if response.body.count > 0, response.body.count < 300, response.body.isValidUTF8 {
            let text = response.body.unsafeString().trimmingASCIIWhitespace()
            if !text.contains("<") { message = text }
        }
        self.code = code
        self.message = message.map { String($0.prefix(300)) }
    }

    /// "403 (60108: Authorization is required for this request.)"
    public var summary: String {
        var s = "\(status)"
        switch (code, message) {
        case let (c?, m?): s += " (\(c): \(m))"
        case let (nil, m?): s += " (\(m))"
        case let (c?, nil): s += " (\(c))"
        default: break
        }
        return s
    }

    /// The `SGError` for a failed A2A call; `what` says what was asked for ("password of 'db'").
    public func a2aError(what: String) -> SGError {
        switch status {
        case 401: return .denied("\(what): \(summary)")
        case 403:
            if code == 60094 { return .denied("\(what): \(summary): the appliance did not accept the client certificate (it wants HTTP/1.1 and, with tls-max, TLS 1.2)") }
            return .denied("\(what): \(summary): API key rejected, or the certificate is not the registration's certificate user, or an IP restriction")
        case 404: return .unexpectedResponse("\(what): \(summary): not found (wrong api-version or appliance address?)")
        case 415: return .unexpectedResponse("\(what): \(summary): unsupported media type")
        case 429: return .retriesExhausted("\(what): \(summary): too many requests")
        case 503:
            let text = (message ?? "").lowercased()
            if text.contains("a2a") || text.contains("not running") || text.contains("disabled") {
                return .serviceUnavailable("\(what): \(summary): the A2A service is off on the appliance (Appliance Management > A2A, or POST A2AService/Enable)")
            }
            return .retriesExhausted("\(what): \(summary): appliance busy")
        case 500...599: return .unexpectedResponse("\(what): \(summary): appliance error")
        default: return .unexpectedResponse("\(what): \(summary)")
        }
    }

    /// The `SGError` for a failed login or user-token call.
    public func loginError(what: String) -> SGError {
        let text = (message ?? "").lowercased()
        switch status {
        case 400, 401, 403:
            if text.contains("resource owner") || text.contains("grant type") && text.contains("not allowed") {
                return .denied("\(what): the appliance has the password (resource owner) grant disabled: use sg-token login --method pkce")
            }
            return .denied("\(what): \(summary)")
        case 429: return .retriesExhausted("\(what): \(summary): too many login attempts")
        case 500...599: return .unexpectedResponse("\(what): \(summary): appliance error")
        default: return .unexpectedResponse("\(what): \(summary)")
        }
    }
}

