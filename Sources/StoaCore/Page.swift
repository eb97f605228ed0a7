import Foundation

/// A page request: `limit` 1–100 (default 20) and an opaque keyset `cursor`.
public struct PageRequest: Sendable {
    public let limit: Int
    public let cursor: PageCursor?

    public init(limit: Int = 20, cursor: PageCursor? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    /// Parses `limit` and `cursor` query values. Out-of-range or undecodable values are
    /// ``InvalidInput`` naming the parameter (never clamped silently).
    public static func parse(limit: String?, cursor: String?) throws(InvalidInput) -> PageRequest {
        var parsedLimit = 20
        if let limit {
            guard let value = Int(limit), (1...100).contains(value) else {
                throw InvalidInput("limit must be a whole number from 1 to 100")
            }
            parsedLimit = value
        }
        var parsedCursor: PageCursor? = nil
        if let cursor {
            guard let decoded = PageCursor(encoded: cursor) else { throw .badCursor }
            parsedCursor = decoded
        }
        return PageRequest(limit: parsedLimit, cursor: parsedCursor)
    }
}

/// A keyset position: the sort values of the last item of a page (e.g. pinned, time, id).
/// Encoded as base64url JSON; opaque to clients.
public struct PageCursor: Sendable, Equatable {
    public let values: [String]

    public init(_ values: [String]) { self.values = values }

    public init?(encoded: String) {
        guard encoded.count <= 512 else { return nil }
        guard let data = Base64URL.decode(encoded), case .array(let items)? = JSONValue.parse(data), !items.isEmpty, items.count <= 4 else { return nil }
        var values: [String] = []
        for item in items {
            guard case .string(let v) = item, v.count <= 128 else { return nil }
            values.append(v)
        }
        self.values = values
    }

    public var encoded: String {
        Base64URL.encode(Data(JSONValue.array(values.map { .string($0) }).serialized.utf8))
    }

    /// The value at `index` as a date, if it is one.
    public func date(_ index: Int) -> Date? { index < values.count ? ISO8601.date(from: values[index]) : nil }
}

/// One page of results and the cursor of the next (nil on the last page).
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: PageCursor?
    public init(items: [Item], nextCursor: PageCursor?) { self.items = items; self.nextCursor = nextCursor }
}
