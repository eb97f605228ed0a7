import Foundation

/// One passage found by a document search, with what a citation needs.
public struct SearchHit: Sendable, Equatable {
    public let documentID: String
    public let chunkID: String
    /// The document's title.
    public let title: String
    /// Where the passage lives: the document's source URL (or path), with the heading anchor when known.
    public let source: String?
    /// The headings above the passage, outermost first ("Chapter 2 › Sleeping").
    public let headingPath: [String]
    /// A short extract around the matched terms (plain text; matched terms not marked up).
    public let snippet: String
    /// The whole passage, for models that answer from it.
    public let text: String
    /// Higher is better; comparable only within one search.
    public let score: Double

    public init(documentID: String, chunkID: String, title: String, source: String?, headingPath: [String],
                snippet: String, text: String, score: Double) {
        self.documentID = documentID; self.chunkID = chunkID; self.title = title; self.source = source
        self.headingPath = headingPath; self.snippet = snippet; self.text = text; self.score = score
    }
}

/// Searches the ingested documents. Documents are shared by every user (an operator ingests
/// them), so searching needs no user id.
public protocol DocumentSearching: Sendable {
    /// The best passages for `query`, best first, at most `limit`.
    func search(_ query: String, limit: Int) async throws -> [SearchHit]
}
