import Foundation
import Logging

/// BM25 fused with vector similarity by reciprocal rank fusion, when embeddings are configured.
/// Each search embeds the query, ranks every stored chunk vector by cosine similarity (held in
/// memory, reloaded when the collection changes), and merges the two rankings: a passage
/// scores Σ 1/(k + rank) over the rankings it appears in. If the embeddings provider fails,
/// the search answers with BM25 alone (and logs why).
public struct HybridSearch: DocumentSearching {
    let store: any DocumentStore
    let embedder: any Embedder
    let cache: VectorCache
    let logger: Logger
    /// How deep each ranking goes before fusion.
    public static let depth = 50
    /// RRF's constant (60 in the original paper).
    public static let k = 60.0

    public init(store: any DocumentStore, embedder: any Embedder, logger: Logger) {
        self.store = store
        self.embedder = embedder
        self.cache = VectorCache()
        self.logger = logger
    }

    public func search(_ query: String, limit: Int) async throws -> [SearchHit] {
        let lexical = try await store.search(query, limit: max(limit, Self.depth))
        let queryVector: [Float]
        do {
            guard let v = try await embedder.embed([query]).first else { return Array(lexical.prefix(limit)) }
            queryVector = VectorCodec.normalized(v)
        } catch {
            logger.warning("embeddings unavailable, searching by keywords only", metadata: ["embedder": "\(embedder.name)", "error": "\(error)"])
            return Array(lexical.prefix(limit))
        }
        let vectors = try await cache.vectors(store: store, model: embedder.name)
        var similar: [(id: String, score: Float)] = []
        similar.reserveCapacity(vectors.count)
        for (id, vector) in vectors where vector.count == queryVector.count {
            var dot: Float = 0
            for i in 0..<vector.count { dot += vector[i] * queryVector[i] }
            similar.append((id, dot))
        }
        similar.sort { $0.score > $1.score }
        let semantic = similar.prefix(Self.depth).map(\.id)

        var fused: [String: Double] = [:]
        for (rank, hit) in lexical.enumerated() { fused[hit.chunkID, default: 0] += 1 / (Self.k + Double(rank + 1)) }
        for (rank, id) in semantic.enumerated() { fused[id, default: 0] += 1 / (Self.k + Double(rank + 1)) }
        let top = fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit)

        var byID = Dictionary(lexical.map { ($0.chunkID, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = top.map(\.key).filter { byID[$0] == nil }
        for hit in try await store.hits(chunkIDs: missing, terms: SearchTerms.words(query)) { byID[hit.chunkID] = hit }
        return top.compactMap { id, score in
            byID[id].map { SearchHit(documentID: $0.documentID, chunkID: $0.chunkID, title: $0.title, source: $0.source,
                                     headingPath: $0.headingPath, snippet: $0.snippet, text: $0.text, score: score) }
        }
    }
}

/// Chunk vectors in memory, keyed by the collection's version.
actor VectorCache {
    var version: String? = nil
    var model: String? = nil
    var loaded: [(String, [Float])] = []

    func vectors(store: any DocumentStore, model: String) async throws -> [(String, [Float])] {
        let current = try await store.version()
        if current != version || model != self.model {
            loaded = try await store.vectors(model: model).map { ($0.chunkID, $0.vector) }
            version = current
            self.model = model
        }
        return loaded
    }
}
