import Foundation
import StoaCore

/// A document as stored: its key (`path`, relative to the folder it was ingested from), title,
/// public source URL, content hash and chunk count.
public struct StoredDocument: Sendable, Equatable {
    public let id: String
    public let path: String
    public let title: String
    public let source: String?
    public let contentHash: String
    public let chunkCount: Int
    public let createdAt: Date
    public let updatedAt: Date

    /// api.md's `{id, title, source, chunkCount, createdAt}` (plus `path` and `updatedAt`).
    public var json: JSONValue {
        .object([("id", .string(id)), ("title", .string(title)), ("source", .optional(source)), ("path", .string(path)),
                 ("chunkCount", .number(Double(chunkCount))), ("createdAt", .date(createdAt)), ("updatedAt", .date(updatedAt))])
    }
}
