import Foundation
import Knowledge
import StoaCore

/// Runs `search_documents`: the best passages of the shared document collection, each with
/// what a citation needs.
public struct DocumentTools: Sendable {
    let search: any DocumentSearching
    public static let defaultLimit = 5
    public static let maxLimit = 20

    public init(search: any DocumentSearching) {
        self.search = search
    }

    func run(_ arguments: JSONValue) async throws -> JSONValue {
        guard case .string(let raw)? = arguments["query"] else { return TaskTools.error("query is required and must be a string.") }
        let query = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { return TaskTools.error("query must not be empty.") }
        guard query.count <= 500 else { return TaskTools.error("query must be at most 500 characters.") }
        var limit = Self.defaultLimit
        switch arguments["limit"] {
        case nil, .null?: break
        case .number(let n)? where n == n.rounded() && n >= 1 && n <= Double(Self.maxLimit): limit = Int(n)
        default: return TaskTools.error("limit must be a whole number from 1 to \(Self.maxLimit).")
        }
        let hits = try await search.search(query, limit: limit)
        return .object([("query", .string(query)), ("results", .array(hits.map(Self.json)))])
    }

    /// A hit as the tool result shows it: citation fields plus the passage text.
    static func json(_ hit: SearchHit) -> JSONValue {
        .object([
            ("documentId", .string(hit.documentID)), ("title", .string(hit.title)), ("source", .optional(hit.source)),
            ("section", .string(hit.headingPath.joined(separator: " › "))), ("snippet", .string(hit.snippet)),
            ("text", .string(hit.text)), ("score", .number(hit.score)),
        ])
    }

    /// The `sources` entries (api.md `{documentId, title, source, snippet}`) named by a
    /// `search_documents` result, in order, without duplicates.
    public static func sources(fromResult result: JSONValue) -> [JSONValue] {
        guard case .array(let results)? = result["results"] else { return [] }
        return results.map { hit in
            .object([("documentId", hit["documentId"] ?? .null), ("title", hit["title"] ?? .null),
                     ("source", hit["source"] ?? .null), ("snippet", hit["snippet"] ?? .null)])
        }
    }
}

extension ToolDefinition {
    /// `search_documents` of api.md.
    public static let searchDocuments = ToolDefinition(
        name: "search_documents",
        description: "Search the documentation and reference documents available to Stoa. Use it for any question "
            + "that the documents may answer, then answer from the returned passages and cite their titles.",
        parameters: schema([
            ("query", string("What to look for, in a few keywords or a short question.")),
            ("limit", .object([("type", .string("integer")), ("minimum", .number(1)), ("maximum", .number(Double(DocumentTools.maxLimit))),
                               ("description", .string("How many passages to return (default \(DocumentTools.defaultLimit)))."))])),
        ], required: ["query"]))

    /// Every tool of api.md (task tools and `search_documents`).
    public static var allTools: [ToolDefinition] { taskTools + [searchDocuments] }
}
