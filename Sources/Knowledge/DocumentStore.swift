import Foundation
import StoaCore
import Storage

/// The document collection: documents, their chunks, and search over them.
public protocol DocumentStore: DocumentSearching {
    /// Content hash of every stored document, by path (to skip unchanged files in one query).
    func contentHashes() async throws -> [String: String]
    /// Stores a document and its chunks, replacing an earlier version with the same path
    /// (same id and creation time). Returns the document and whether it replaced one.
    /// `vectors` (one per chunk, from `embeddingModel`) are stored when given.
    func save(path: String, title: String, source: String?, contentHash: String, chunks: [ChunkDraft],
              vectors: [[Float]]?, embeddingModel: String?, at: Date) async throws -> (StoredDocument, replaced: Bool)
    /// Newest first.
    func list(page: PageRequest) async throws -> Page<StoredDocument>
    /// Every document, ordered by path (for `stoa docs list`).
    func all() async throws -> [StoredDocument]
    /// Removes documents by id or path (a path ending in `/` removes everything under it).
    func remove(_ keys: [String]) async throws -> [StoredDocument]
    /// Brings search statistics up to date after changes (PostgreSQL: words per chunk count).
    func refreshStatistics() async throws
    /// Every stored chunk vector made by `model`.
    func vectors(model: String) async throws -> [(chunkID: String, vector: [Float])]
    /// The passages with these ids (any order); `terms` pick the snippet.
    func hits(chunkIDs: [String], terms: [String]) async throws -> [SearchHit]
    /// Changes whenever documents are added, changed or removed (to know when cached vectors are stale).
    func version() async throws -> String
}

/// ``DocumentStore`` over SQLite (FTS5, BM25) or PostgreSQL (`tsvector`, `ts_rank_cd`).
public struct SQLDocumentStore: DocumentStore {
    let db: any Database
    /// Most rows a PostgreSQL search scores; bounds the cost of very common words.
    public static let candidateLimit = 150
    /// How many of the best-scored candidates get the (costlier) `ts_rank_cd` refinement.
    public static let rerankDepth = 50

    public init(database: any Database) { db = database }

    static let columns = #""id", "path", "title", "source", "content_hash", "chunk_count", "created_at", "updated_at""#

    public func contentHashes() async throws -> [String: String] {
        var out: [String: String] = [:]
        for row in try await db.query(#"SELECT "path", "content_hash" FROM "document""#, []) {
            out[try row.string("path")] = try row.string("content_hash")
        }
        return out
    }

    public func save(path: String, title: String, source: String?, contentHash: String, chunks: [ChunkDraft],
                     vectors: [[Float]]?, embeddingModel: String?, at: Date) async throws -> (StoredDocument, replaced: Bool) {
        let encoded = vectors.flatMap { $0.count == chunks.count ? $0.map(VectorCodec.encode) : nil }
        return try await db.transaction { tx in
            let existing = try await tx.first(#"SELECT \#(Self.columns) FROM "document" WHERE "path" = ?"#, path).map(Self.document)
            let id = existing?.id ?? UUIDv7.generate(at: at)
            if existing != nil {
                try await tx.execute(#"DELETE FROM "chunk" WHERE "document_id" = ?"#, id)
                try await tx.execute(#"UPDATE "document" SET "title" = ?, "source" = ?, "content_hash" = ?, "chunk_count" = ?, "updated_at" = ?, "embedding_model" = ? WHERE "id" = ?"#,
                                     title, source, contentHash, chunks.count, at, encoded == nil ? nil : embeddingModel, id)
            } else {
                try await tx.execute(#"INSERT INTO "document" (\#(Self.columns), "embedding_model") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                                     id, path, title, source, contentHash, chunks.count, at, at, encoded == nil ? nil : embeddingModel)
            }
            // Many rows per statement: ingesting thousands of files stays quick.
            let batch = 100
            var ordinal = 0
            for start in stride(from: 0, to: chunks.count, by: batch) {
                let slice = chunks[start..<min(start + batch, chunks.count)]
                var binds: [DatabaseValue] = []
                for chunk in slice {
                    binds += [.text(UUIDv7.generate(at: at)), .text(id), .int(Int64(ordinal)), .text(chunk.headings.joined(separator: " › ")),
                              .optional(chunk.anchor), .text(chunk.text), .optional(encoded?[ordinal])]
                    ordinal += 1
                }
                let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: slice.count).joined(separator: ", ")
                _ = try await tx.query(#"INSERT INTO "chunk" ("id", "document_id", "ordinal", "heading", "anchor", "text", "embedding") VALUES \#(rows)"#, binds)
            }
            let stored = StoredDocument(id: id, path: path, title: title, source: source, contentHash: contentHash, chunkCount: chunks.count,
                                        createdAt: existing?.createdAt ?? at, updatedAt: at)
            return (stored, existing != nil)
        }
    }

    public func list(page: PageRequest) async throws -> Page<StoredDocument> {
        var sql = #"SELECT \#(Self.columns) FROM "document" WHERE 1 = 1"#
        var binds: [DatabaseValue] = []
        try NewestFirstPage.finish(&sql, &binds, page: page)
        return NewestFirstPage.page(try await db.query(sql, binds).map(Self.document), page) { ($0.createdAt, $0.id) }
    }

    public func all() async throws -> [StoredDocument] {
        try await db.query(#"SELECT \#(Self.columns) FROM "document" ORDER BY "path""#, []).map(Self.document)
    }

    public func remove(_ keys: [String]) async throws -> [StoredDocument] {
        try await db.transaction { tx in
            var removed: [StoredDocument] = []
            for key in keys {
                let rows: [DatabaseRow]
                if key.hasSuffix("/") {
                    rows = try await tx.query(#"DELETE FROM "document" WHERE substr("path", 1, length(?)) = ? RETURNING \#(Self.columns)"#, [.text(key), .text(key)])
                } else {
                    rows = try await tx.query(#"DELETE FROM "document" WHERE "id" = ? OR "path" = ? RETURNING \#(Self.columns)"#, [.text(key), .text(key)])
                }
                removed += try rows.map(Self.document)
            }
            return removed
        }
    }

    public func refreshStatistics() async throws {
        guard db.dialect == .postgres else { return }
        try await db.transaction { tx in
            try await tx.execute(#"DELETE FROM "document_term""#)
            try await tx.execute(#"INSERT INTO "document_term" ("word", "ndoc") SELECT "word", "ndoc" FROM ts_stat('SELECT "search" FROM "chunk"')"#)
            // The empty word holds the number of chunks (the N of the IDF formula).
            try await tx.execute(#"INSERT INTO "document_term" ("word", "ndoc") SELECT '', count(*) FROM "chunk""#)
        }
    }

    public func vectors(model: String) async throws -> [(chunkID: String, vector: [Float])] {
        let rows = try await db.query(#"""
            SELECT c."id", c."embedding" FROM "chunk" c JOIN "document" d ON d."id" = c."document_id"
            WHERE d."embedding_model" = ? AND c."embedding" IS NOT NULL
            """#, [.text(model)])
        return try rows.compactMap { row in
            guard let text = row.optionalString("embedding"), let vector = VectorCodec.decode(text) else { return nil }
            return (try row.string("id"), VectorCodec.normalized(vector))
        }
    }

    public func hits(chunkIDs: [String], terms: [String]) async throws -> [SearchHit] {
        guard !chunkIDs.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: chunkIDs.count).joined(separator: ", ")
        let rows = try await db.query(#"""
            SELECT c."id", c."document_id", c."heading", c."anchor", c."text", d."title", d."source"
            FROM "chunk" c JOIN "document" d ON d."id" = c."document_id" WHERE c."id" IN (\#(marks))
            """#, chunkIDs.map { .text($0) })
        return try rows.map { row in try Self.hit(row, snippet: Snippet.make(try row.string("text"), terms: terms), score: 0) }
    }

    public func version() async throws -> String {
        guard let row = try await db.first(#"SELECT count(*) AS "n", max("updated_at") AS "at" FROM "document""#) else { return "" }
        return "\(row.optionalString("n") ?? "0")@\(row.optionalString("at") ?? "")"
    }

    public func search(_ query: String, limit: Int) async throws -> [SearchHit] {
        let terms = SearchTerms.words(query)
        guard !terms.isEmpty, limit > 0 else { return [] }
        switch db.dialect {
        case .sqlite: return try await searchSQLite(terms, limit: limit)
        case .postgres: return try await searchPostgres(terms, limit: limit)
        }
    }

    /// SQLite: FTS5's BM25 over any of the words (headings count double), FTS5 snippets.
    func searchSQLite(_ terms: [String], limit: Int) async throws -> [SearchHit] {
        let match = terms.map { "\"\($0)\"" }.joined(separator: " OR ")
        let rows = try await db.query(#"""
            SELECT c."id", c."document_id", c."heading", c."anchor", c."text", d."title", d."source",
                   bm25("chunk_fts", 2.0, 1.0) AS "rank", snippet("chunk_fts", 1, '', '', '…', 32) AS "snippet"
            FROM "chunk_fts" JOIN "chunk" c ON c."rowid" = "chunk_fts"."rowid" JOIN "document" d ON d."id" = c."document_id"
            WHERE "chunk_fts" MATCH ? ORDER BY "rank" LIMIT ?
            """#, [.text(match), .int(Int64(limit))])
        return try rows.map { row in
            let rank = (try? row.double("rank")) ?? 0
            return try Self.hit(row, snippet: try row.string("snippet"), score: -rank)
        }
    }

    /// PostgreSQL: BM25's idea with PostgreSQL's parts. Each query word that occurs in the
    /// collection gets an inverse document frequency from `document_term`; a chunk scores the
    /// sum over the words it holds (a word in a heading counts half again), plus `ts_rank_cd`
    /// for how densely they occur. Candidates come from the GIN index: the chunks holding the
    /// rarest query words, at most ``candidateLimit`` of them (common words only add to scores).
    func searchPostgres(_ terms: [String], limit: Int) async throws -> [SearchHit] {
        let stats = try await db.query(#"""
            SELECT t."lexeme" AS "word", COALESCE(s."ndoc", 0) AS "ndoc"
            FROM unnest(to_tsvector('english', ?)) t LEFT JOIN "document_term" s ON s."word" = t."lexeme"
            UNION ALL SELECT '' AS "word", "ndoc" FROM "document_term" WHERE "word" = ''
            """#, [.text(terms.joined(separator: " "))])
        var total: Double = 0
        var words: [(word: String, ndoc: Double)] = []
        for row in stats {
            let word = try row.string("word"), ndoc = Double(try row.int("ndoc"))
            if word.isEmpty { total = ndoc } else { words.append((word, ndoc)) }
        }
        if total > 0 { words = words.filter { $0.ndoc > 0 } } else { words = words.map { ($0.word, 1) }; total = 2 }
        guard !words.isEmpty else { return [] }
        func literal(_ word: String, _ suffix: String = "") -> String { "'" + word.replacingOccurrences(of: "'", with: "''") + "'" + suffix }
        // Candidates: chunks holding the rarest words, as many of them as fit the candidate
        // budget together (they carry most of the score); common words only add to the score.
        var selected: [String] = []
        var budget = 0.0
        for (word, ndoc) in words.sorted(by: { $0.ndoc < $1.ndoc }) {
            if !selected.isEmpty && budget + ndoc > Double(Self.candidateLimit) { break }
            selected.append(literal(word)); budget += ndoc
        }
        let candidates = selected.joined(separator: " | ")
        let all = words.map { literal($0.word) }.joined(separator: " | ")
        var score: [String] = []
        var scoreBinds: [DatabaseValue] = []
        for (word, ndoc) in words {
            let idf = log(1 + (total - ndoc + 0.5) / (ndoc + 0.5))
            score.append(#"(CASE WHEN s."search" @@ ?::tsquery THEN ? ELSE 0 END) + (CASE WHEN s."search" @@ ?::tsquery THEN ? ELSE 0 END)"#)
            scoreBinds += [.text(literal(word)), .double(idf), .text(literal(word, ":A")), .double(idf * 0.5)]
        }
        var rows = try await rankedChunks(score: score, scoreBinds: scoreBinds, all: all, candidates: candidates, limit: limit)
        if rows.count < limit && candidates != all {
            // Too few passages hold a rare word: let the common words select too.
            rows = try await rankedChunks(score: score, scoreBinds: scoreBinds, all: all, candidates: all, limit: limit)
        }
        return try rows.map { row in
            try Self.hit(row, snippet: Snippet.make(try row.string("text"), terms: terms), score: (try? row.double("rank")) ?? 0)
        }
    }

    func rankedChunks(score: [String], scoreBinds: [DatabaseValue], all: String, candidates: String, limit: Int) async throws -> [DatabaseRow] {
        // Two steps: the cheap word score over every candidate, then `ts_rank_cd` (how densely the
        // words occur) only for the best `rerankDepth`.
        try await db.query(#"""
            SELECT c."id", c."document_id", c."heading", c."anchor", c."text", d."title", d."source", r."rank"
            FROM (SELECT t."id", t."base" + ts_rank_cd(t."search", ?::tsquery, 1) AS "rank"
                  FROM (SELECT s."id", s."search", \#(score.joined(separator: " + ")) AS "base"
                        FROM (SELECT "id", "search" FROM "chunk" WHERE "search" @@ ?::tsquery LIMIT ?) s
                        ORDER BY "base" DESC, s."id" LIMIT ?) t
                  ORDER BY "rank" DESC, t."id" LIMIT ?) r
            JOIN "chunk" c ON c."id" = r."id" JOIN "document" d ON d."id" = c."document_id"
            ORDER BY r."rank" DESC, c."id"
            """#, [.text(all)] + scoreBinds + [.text(candidates), .int(Int64(Self.candidateLimit)), .int(Int64(max(limit, Self.rerankDepth))), .int(Int64(limit))])
    }

    static func hit(_ row: DatabaseRow, snippet: String, score: Double) throws -> SearchHit {
        let heading = try row.string("heading")
        let anchor = row.optionalString("anchor")
        let source = row.optionalString("source").map { base in anchor.map { base + "#" + $0 } ?? base }
        return SearchHit(documentID: try row.string("document_id"), chunkID: try row.string("id"), title: try row.string("title"),
                         source: source, headingPath: heading.isEmpty ? [] : heading.components(separatedBy: " › "),
                         snippet: snippet, text: try row.string("text"), score: score)
    }

    static func document(_ row: DatabaseRow) throws -> StoredDocument {
        StoredDocument(id: try row.string("id"), path: try row.string("path"), title: try row.string("title"), source: row.optionalString("source"),
                       contentHash: try row.string("content_hash"), chunkCount: Int(try row.int("chunk_count")),
                       createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }
}
