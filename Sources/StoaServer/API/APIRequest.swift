import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoaCore

/// A JSON request body for `/api` routes, read strictly: only `application/json`, at most
/// 1 MiB within ``JSONLimits/request``, an object, no fields the route does not know. Errors name the field.
struct APIBody {
    let fields: [(String, JSONValue)]

    static func read(_ request: Request, allowed: Set<String>) async throws -> APIBody {
        guard let bytes = try await request.collectBodyData() else { return APIBody(fields: []) }
        guard request.mediaType == "application/json" else {
            throw StoaError(status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as application/json.")
        }
        let value: JSONValue
        do { value = try JSONValue.parseOrThrow(bytes, limits: .request) } catch { throw StoaError.validation(error.description) }
        guard case .object(let fields) = value else { throw StoaError.validation("the body must be a JSON object") }
        if let unknown = fields.first(where: { !allowed.contains($0.0) }) {
            throw StoaError.validation("\(String(unknown.0.prefix(40))) is not a field of this request")
        }
        return APIBody(fields: fields)
    }

    func value(_ key: String) -> JSONValue? { fields.first(where: { $0.0 == key })?.1 }

    /// A string field; `nil` when absent. Trimmed; `maxLength` counts characters.
    func string(_ key: String, required: Bool = false, allowEmpty: Bool = false, maxLength: Int) throws(StoaError) -> String? {
        switch value(key) {
        case nil:
            if required { throw .validation("\(key) is required") }
            return nil
        case .string(let raw)?:
            let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if !allowEmpty && s.isEmpty { throw .validation("\(key) must not be empty") }
            if s.count > maxLength { throw StoaError(status: s.count > 32_000 ? 413 : 400, code: s.count > 32_000 ? "PAYLOAD_TOO_LARGE" : "VALIDATION_ERROR",
                                                   message: "\(key) must be at most \(maxLength) characters") }
            if s.unicodeScalars.contains(where: { $0.value == 0 }) { throw .validation("\(key) must not contain NUL characters") }
            return s
        case .null?:
            if required { throw .validation("\(key) is required") }
            throw .validation("\(key) must be a string")
        case let other?:
            throw .validation("\(key) must be a string, not \(other.typeName)")
        }
    }

    /// `string | null | absent`: `.some(nil)` when explicitly null (to clear it).
    func nullableString(_ key: String, maxLength: Int) throws(StoaError) -> String?? {
        if case .null? = value(key) { return .some(nil) }
        guard let s = try string(key, allowEmpty: true, maxLength: maxLength) else { return nil }
        return .some(s.isEmpty ? nil : s)
    }

    func bool(_ key: String) throws(StoaError) -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let b)?: return b
        case let other?: throw .validation("\(key) must be true or false, not \(other.typeName)")
        }
    }

    /// An ISO-8601 date-time (or `YYYY-MM-DD`); `.some(nil)` when explicitly null.
    func date(_ key: String) throws(StoaError) -> Date?? {
        switch value(key) {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let s)?:
            if let date = ISO8601.date(from: s) { return .some(date) }
            if s.count == 10, let date = ISO8601.date(from: s + "T00:00:00Z") { return .some(date) }
            throw .validation("\(key) must be an ISO-8601 date such as 2026-12-01T09:00:00Z")
        case let other?: throw .validation("\(key) must be an ISO-8601 date string, not \(other.typeName)")
        }
    }
}

extension Request {
    /// A path id that must be a UUID; anything else is answered like a missing row (404).
    func uuidParameter(_ context: some RequestContext, _ name: String = "id", notFound: StoaError) throws -> String {
        guard let id = context.parameters.get(name), UUIDv7.isValid(id) else { throw notFound }
        return id.lowercased()
    }

    func page() throws -> PageRequest {
        try PageRequest.parse(limit: uri.queryParameters["limit"].map(String.init), cursor: uri.queryParameters["cursor"].map(String.init))
    }

    func query(_ name: String) -> String? { uri.queryParameters[Substring(name)].map(String.init) }
}

extension StoaError {
    static func notFound(_ what: String) -> StoaError { StoaError(status: 404, code: "NOT_FOUND", message: "\(what) not found.") }
}

extension Response {
    /// `{"items": […], "nextCursor": …}`.
    static func page<Item>(_ page: Page<Item>, _ json: (Item) -> JSONValue) -> Response {
        .json(.object([("items", .array(page.items.map(json))), ("nextCursor", page.nextCursor.map { .string($0.encoded) } ?? .null)]))
    }
}
