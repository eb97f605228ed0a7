import Knowledge
import StoaCore

extension AssistantTool {
    static let defaultSearchLimit = 5
    static let maxSearchLimit = 20

    /// `search_documents` (api.md): the best passages of the shared document collection, each
    /// with what a citation needs.
    public static let searchDocuments = AssistantTool(
        name: "search_documents",
        description: "Search the documentation and reference documents available to Stoa. Use it for any question "
            + "that the documents may answer, then answer from the returned passages and cite their titles.",
        parameters: schema([
            ("query", string("What to look for, in a few keywords or a short question.")),
            ("limit", .object([("type", .string("integer")), ("minimum", .number(1)), ("maximum", .number(Double(maxSearchLimit))),
                               ("description", .string("How many passages to return (default \(defaultSearchLimit))."))])),
        ], required: ["query"]),
        needsDocuments: true
    ) { arguments, scope in
        guard let documents = scope.documents else { return error("There are no documents to search.") }
        guard case .string(let raw)? = arguments["query"] else { throw ToolArgumentError(message: "query is required and must be a string.") }
        let query = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { throw ToolArgumentError(message: "query must not be empty.") }
        guard query.count <= 500 else { throw ToolArgumentError(message: "query must be at most 500 characters.") }
        var limit = defaultSearchLimit
        switch arguments["limit"] {
        case nil, .null?: break
        case .number(let n)? where n == n.rounded() && n >= 1 && n <= Double(maxSearchLimit): limit = Int(n)
        default: throw ToolArgumentError(message: "limit must be a whole number from 1 to \(maxSearchLimit).")
        }
        let hits = try await documents.search(query, limit: limit)
        return .object([("query", .string(query)), ("results", .array(hits.map(searchResult)))])
    }

    /// A hit as the tool result shows it: citation fields plus the passage text.
    static func searchResult(_ hit: SearchHit) -> JSONValue {
        .object([
            ("documentId", .string(hit.documentID)), ("title", .string(hit.title)), ("source", .optional(hit.source)),
            ("section", .string(hit.headingPath.joined(separator: " › "))), ("snippet", .string(hit.snippet)),
            ("text", .string(hit.text)), ("score", .number(hit.score)),
        ])
    }

    /// The `sources` entries (api.md `{documentId, title, source, snippet}`) named by a
    /// `search_documents` result, in order.
    public static func citationSources(fromResult result: JSONValue) -> [JSONValue] {
        guard case .array(let results)? = result["results"] else { return [] }
        return results.map { hit in
            .object([("documentId", hit["documentId"] ?? .null), ("title", hit["title"] ?? .null),
                     ("source", hit["source"] ?? .null), ("snippet", hit["snippet"] ?? .null)])
        }
    }
}
