import Foundation
import Hummingbird
import NIOCore
import StoaCore

/// The JSON body of an `/api` route: a `Decodable` type that lists the fields it accepts and
/// checks, after decoding, what JSON types cannot say (trimmed, not empty, at most N characters,
/// a real date). Handlers read it with Hummingbird's `request.decode(as:context:)`, which goes
/// through ``APIRequestDecoder``.
protocol APIRequestBody: Decodable, Sendable {
    /// The body's fields (the type's own `CodingKeys`, listed once).
    associatedtype CodingKeys: CodingKey
    /// The rules beyond types, with messages that name the field.
    mutating func validate() throws(StoaError)
}

extension APIRequestBody {
    /// Whether the body has a field called `name`; any other is a 400 that names it.
    static func accepts(_ name: String) -> Bool { CodingKeys(stringValue: name) != nil }
}

/// Decodes `/api` request bodies: only `application/json` (415 otherwise); bounded by
/// ``JSONLimits/request`` (depth, members, elements, string size — the 1 MiB body cap comes
/// from the context); an object; no field the type does not list; then `JSONDecoder`, whose
/// errors become `400 VALIDATION_ERROR` naming the field; then ``APIRequestBody/validate()``.
/// An empty body reads as `{}`.
struct APIRequestDecoder: RequestDecoder {
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw StoaError.bodyTooLarge
        }
        var bytes = Array(buffer.readableBytesView)
        if bytes.isEmpty {
            bytes = Array("{}".utf8)
        } else if request.mediaType != "application/json" {
            throw StoaError(status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as application/json.")
        }
        let parsed: JSONValue
        do { parsed = try JSONValue.parseOrThrow(bytes, limits: .request) } catch { throw StoaError.validation(error.description) }
        guard case .object(let members) = parsed else { throw StoaError.validation("the body must be a JSON object") }
        if let bodyType = T.self as? any APIRequestBody.Type,
           let unknown = members.first(where: { !bodyType.accepts($0.0) }) {
            throw StoaError.validation("\(String(unknown.0.prefix(40))) is not a field of this request")
        }
        var value: T
        do {
            value = try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw StoaError.validation(Self.describe(error, in: parsed))
        }
        if var body = value as? any APIRequestBody {
            try body.validate()
            value = body as! T   // the same value, validated (and trimmed)
        }
        return value
    }

    /// A message that names the field: "title is required", "pinned must be true or false, not string".
    static func describe(_ error: DecodingError, in body: JSONValue) -> String {
        func field(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(field(context.codingPath + [key])) is required"
        case .valueNotFound(_, let context):
            return "\(field(context.codingPath)) is required"
        case .typeMismatch(let expected, let context):
            let name = field(context.codingPath)
            let got = context.codingPath.first.flatMap { body[$0.stringValue]?.typeName } ?? "something else"
            let wanted = expected == Bool.self ? "true or false" : expected == String.self ? "a string"
                : String(describing: expected).hasPrefix("Dictionary") ? "an object" : "a \(expected)"
            return "\(name) must be \(wanted), not \(got)"
        case .dataCorrupted(let context):
            if context.debugDescription == "unknown field" { return "\(String(field(context.codingPath).prefix(60))) is not a field of this request" }
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(field(context.codingPath)) is not valid"
        @unknown default:
            return "the body does not match this request"
        }
    }
}

/// A field a body may leave out, set to `null`, or set: PATCH bodies tell "leave it" from
/// "clear it" this way.
enum Patch<Value: Decodable & Sendable>: Decodable, Sendable {
    case absent
    case null
    case value(Value)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .value(try container.decode(Value.self))
    }
}

extension KeyedDecodingContainer {
    /// An absent key is ``Patch/absent`` (synthesised `Decodable` calls this for `Patch` fields).
    func decode<Value>(_ type: Patch<Value>.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .absent }
        return try decodeNil(forKey: key) ? .null : .value(decode(Value.self, forKey: key))
    }
}

/// The text rules of `/api` fields, each error naming the field.
enum FieldRules {
    /// Trimmed text: not empty unless `allowEmpty`, at most `maxLength` characters (a 413 past
    /// 32,000, the largest field), no NUL.
    static func text(_ raw: String, _ key: String, allowEmpty: Bool = false, maxLength: Int) throws(StoaError) -> String {
        let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if !allowEmpty && s.isEmpty { throw .validation("\(key) must not be empty") }
        if s.count > maxLength {
            throw s.count > 32_000 ? StoaError(status: 413, code: "PAYLOAD_TOO_LARGE", message: "\(key) must be at most \(maxLength) characters")
                                   : .validation("\(key) must be at most \(maxLength) characters")
        }
        if s.unicodeScalars.contains(where: { $0.value == 0 }) { throw .validation("\(key) must not contain NUL characters") }
        return s
    }

    /// Optional text that may not be `null`: absent stays nil.
    static func text(_ patch: Patch<String>, _ key: String, allowEmpty: Bool = false, maxLength: Int) throws(StoaError) -> String? {
        switch patch {
        case .absent: return nil
        case .null: throw .validation("\(key) must be a string, not null")
        case .value(let raw): return try text(raw, key, allowEmpty: allowEmpty, maxLength: maxLength)
        }
    }

    /// Text that `null` (or an empty string) clears: `.some(nil)`; absent is nil.
    static func clearableText(_ patch: Patch<String>, _ key: String, maxLength: Int) throws(StoaError) -> String?? {
        switch patch {
        case .absent: return nil
        case .null: return .some(nil)
        case .value(let raw):
            let s = try text(raw, key, allowEmpty: true, maxLength: maxLength)
            return .some(s.isEmpty ? nil : s)
        }
    }

    /// A flag that may not be `null`.
    static func flag(_ patch: Patch<Bool>, _ key: String) throws(StoaError) -> Bool? {
        switch patch {
        case .absent: return nil
        case .null: throw .validation("\(key) must be true or false, not null")
        case .value(let b): return b
        }
    }

    /// An ISO-8601 date-time (or `YYYY-MM-DD`) that `null` clears: `.some(nil)`; absent is nil.
    static func date(_ patch: Patch<String>, _ key: String) throws(StoaError) -> Date?? {
        switch patch {
        case .absent: return nil
        case .null: return .some(nil)
        case .value(let s):
            if let date = ISO8601.date(from: s) { return .some(date) }
            if s.count == 10, let date = ISO8601.date(from: s + "T00:00:00Z") { return .some(date) }
            throw .validation("\(key) must be an ISO-8601 date such as 2026-12-01T09:00:00Z")
        }
    }
}
