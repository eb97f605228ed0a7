import Foundation
import HTTPTypes
import Identity
import StoaCore

/// One parsed request to `/api/auth/*`: what every endpoint handler works from.
struct AuthCall: Sendable {
    let method: HTTPRequest.Method
    /// The path below `/api/auth`, e.g. `/sign-in/email`.
    let path: String
    /// Path parameters by name (`token` of `/reset-password/{token}`).
    let parameters: [String: String]
    let query: [String: String]
    let headers: HTTPFields
    let cookies: [String: String]
    /// The session token from the signed cookie or a bearer header (not yet looked up).
    let sessionToken: String?
    let dontRemember: Bool
    /// The JSON (or form) body as an object; empty for GET.
    let body: [(String, JSONValue)]
    let client: AuthService.Client

    func bodyValue(_ key: String) -> JSONValue? { body.first(where: { $0.0 == key })?.1 }
    func has(_ key: String) -> Bool { bodyValue(key) != nil }
}

/// What an endpoint answers before it becomes an HTTP response.
struct AuthReply: Sendable {
    var status: HTTPResponse.Status = .ok
    var body: JSONValue?
    var html: String?
    var setCookies: [String] = []
    var headers: [(HTTPField.Name, String)] = []
    /// Set when a live session cookie is issued, for the bearer plugin's `set-auth-token`.
    var issuedSessionToken: String?

    init(_ body: JSONValue?, status: HTTPResponse.Status = .ok) {
        self.body = body
        self.status = status
    }

    static func redirect(_ location: String) -> AuthReply {
        var reply = AuthReply(nil, status: .found)
        reply.headers.append((.location, location))
        return reply
    }
}

/// Reads request fields with zod's rules and Better Auth's messages
/// (`[body.email] Invalid email address`, several issues joined by `; `).
struct FieldReader {
    let call: AuthCall
    var issues: [String] = []

    init(_ call: AuthCall) { self.call = call }

    private mutating func typeIssue(_ key: String, expected: String, got: JSONValue?) {
        let received = got.map { $0.typeName } ?? "undefined"
        issues.append("[body.\(key)] Invalid input: expected \(expected), received \(received)")
    }

    mutating func requiredString(_ key: String) -> String {
        guard case .string(let s)? = call.bodyValue(key) else { typeIssue(key, expected: "string", got: call.bodyValue(key)); return "" }
        return s
    }

    mutating func nonEmptyString(_ key: String) -> String {
        let s = requiredString(key)
        if call.bodyValue(key)?.stringValue == "" { issues.append("[body.\(key)] Too small: expected string to have >=1 characters") }
        return s
    }

    mutating func email(_ key: String) -> String {
        guard case .string(let s)? = call.bodyValue(key) else { typeIssue(key, expected: "string", got: call.bodyValue(key)); return "" }
        if !EmailAddress.isValid(s) { issues.append("[body.\(key)] Invalid email address") }
        return s
    }

    mutating func optionalString(_ key: String) -> String? {
        switch call.bodyValue(key) {
        case nil: return nil
        case .string(let s)?: return s
        case let other: typeIssue(key, expected: "string", got: other); return nil
        }
    }

    /// `string | null | undefined`: `.some(nil)` when explicitly null.
    mutating func nullableString(_ key: String) -> String?? {
        switch call.bodyValue(key) {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let s)?: return .some(s)
        case let other: typeIssue(key, expected: "string", got: other); return nil
        }
    }

    mutating func optionalBool(_ key: String) -> Bool? {
        switch call.bodyValue(key) {
        case nil: return nil
        case .bool(let b)?: return b
        // Form posts carry booleans as text.
        case .string("true")?: return true
        case .string("false")?: return false
        case let other: typeIssue(key, expected: "boolean", got: other); return nil
        }
    }

    func finish() throws(StoaError) {
        guard issues.isEmpty else { throw StoaError.validation(issues.joined(separator: "; ")) }
    }
}
