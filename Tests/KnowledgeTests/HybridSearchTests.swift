import Foundation
import Knowledge
import Logging
import StoaCore
import StoaTestSupport
import Storage
import Synchronization
import Testing

/// Embeddings fused with BM25 (reciprocal rank fusion), with a deterministic fake embedder
/// that knows synonyms — so a passage with none of the query's words can still be found.
@Suite struct HybridSearchTests {
    /// Maps words to concept dimensions: synonyms share one.
    final class ConceptEmbedder: Embedder, @unchecked Sendable {
        let name = "fake:concepts"
        let failing = Mutex(false)
        let calls = Mutex(0)
        static let concepts: [String: Int] = ["car": 0, "automobile": 0, "vehicle": 0, "upkeep": 1, "maintenance": 1, "servicing": 1,
                                              "bread": 2, "baking": 2, "dough": 2, "garden": 3, "plants": 3, "watering": 3]
        func embed(_ texts: [String]) async throws -> [[Float]] {
            calls.withLock { $0 += 1 }
            if failing.withLock({ $0 }) { throw URLError(.cannotConnectToHost) }
            return texts.map { text in
                var v = [Float](repeating: 0, count: 8)
                v[7] = 0.01
                for word in SearchTerms.words(text) { if let d = Self.concepts[word] { v[d] += 1 } }
                return v
            }
        }
    }

    static func write(_ dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "# Automobile maintenance\n\nChange the oil of your automobile every year and check the tyres.\n".write(to: dir.appendingPathComponent("auto.md"), atomically: true, encoding: .utf8)
        try "# Baking\n\nKnead the dough for ten minutes before baking bread.\n".write(to: dir.appendingPathComponent("bread.md"), atomically: true, encoding: .utf8)
        try "# Garden\n\nWatering plants in the morning keeps the garden healthy.\n".write(to: dir.appendingPathComponent("garden.md"), atomically: true, encoding: .utf8)
    }

    /// The three documents on disk, an empty store and a working embedder.
    static func withCorpus(_ body: @Sendable (URL, SQLDocumentStore, ConceptEmbedder) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-hybrid-\(UUID().uuidString)")
        try write(dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await TestDatabase.with { db in try await body(dir, SQLDocumentStore(database: db), ConceptEmbedder()) }
    }

    @Test("a query with no shared words finds the passage through vectors; keywords still rank; provider down → BM25 alone")
    func fusion() async throws {
        try await Self.withCorpus { dir, store, embedder in
            let summary = try await DocumentIngester(store: store, embedder: embedder).ingest(try DocumentIngester.files(in: [dir.path]))
            #expect(summary.added == 3 && summary.withoutVectors == 0)
            let keywordsOnly = try await store.search("car upkeep", limit: 3)
            #expect(keywordsOnly.isEmpty)
            let hybrid = HybridSearch(store: store, embedder: embedder, logger: Logger(label: "test"))
            let found = try await hybrid.search("car upkeep", limit: 3)
            #expect(found.first?.title == "Automobile maintenance", "\(found.map(\.title))")
            #expect(found.first?.snippet.isEmpty == false)
            let both = try await hybrid.search("bread dough", limit: 3)
            #expect(both.first?.title == "Baking")
            #expect(both.first!.score > (both.dropFirst().first?.score ?? 0))

            embedder.failing.withLock { $0 = true }
            let fallback = try await hybrid.search("watering garden", limit: 3)
            #expect(fallback.first?.title == "Garden")
        }
    }

    @Test("embeddings down at ingest: text stored and searchable, vectors retried on the next ingest")
    func ingestWithoutVectors() async throws {
        try await Self.withCorpus { dir, store, embedder in
            embedder.failing.withLock { $0 = true }
            let ingester = DocumentIngester(store: store, embedder: embedder)
            let first = try await ingester.ingest(try DocumentIngester.files(in: [dir.path]))
            #expect(first.added == 3 && first.withoutVectors == 3)
            #expect(ingester.lastFailure != nil)
            let keyword = try await store.search("dough", limit: 3)
            #expect(keyword.count == 1)
            let none = try await store.vectors(model: embedder.name)
            #expect(none.isEmpty)
            embedder.failing.withLock { $0 = false }
            let second = try await ingester.ingest(try DocumentIngester.files(in: [dir.path]))
            #expect(second.updated == 3 && second.withoutVectors == 0)
            let vectors = try await store.vectors(model: embedder.name)
            #expect(vectors.count == 3)
            let third = try await ingester.ingest(try DocumentIngester.files(in: [dir.path]))
            #expect(third.unchanged == 3)
        }
    }

    @Test("vectors survive the round trip through storage") func codec() {
        let v: [Float] = [0, 1.5, -2.25, .greatestFiniteMagnitude, 1e-7]
        #expect(VectorCodec.decode(VectorCodec.encode(v)) == v)
        #expect(VectorCodec.decode("not base64!") == nil)
        let n = VectorCodec.normalized([3, 4])
        #expect(abs(n[0] - 0.6) < 1e-6 && abs(n[1] - 0.8) < 1e-6)
    }
}
