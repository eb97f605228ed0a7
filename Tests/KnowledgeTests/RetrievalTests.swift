import Foundation
import Knowledge
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// Retrieval quality and ingest behaviour on the shipped corpus (`Tests/Fixtures/corpus`), on
/// the database `STOA_TEST_DATABASE` names.
@Suite struct RetrievalTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static var corpus: String { fixtures.appendingPathComponent("corpus").path }

    struct Question: Decodable { let question: String; let file: String; let section: String }

    @Test("20 questions: the expected section is in the top 3 for at least 18")
    func relevance() async throws {
        let questions = try JSONDecoder().decode([Question].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("corpus-questions.json")))
        #expect(questions.count == 20)
        try await TestDatabase.with { db in
            let store = SQLDocumentStore(database: db)
            let summary = try await DocumentIngester(store: store, baseURL: "https://book.example/docs").ingest(try DocumentIngester.files(in: [Self.corpus]))
            #expect(summary.added == 10 && summary.failures.isEmpty)
            let documents = try await store.all()
            let pathByID = Dictionary(uniqueKeysWithValues: documents.map { ($0.id, $0.path) })
            var found = 0
            var misses: [String] = []
            for q in questions {
                let hits = try await store.search(q.question, limit: 3)
                if hits.contains(where: { pathByID[$0.documentID] == q.file && $0.headingPath.last == q.section }) {
                    found += 1
                } else {
                    misses.append("\(q.question) → expected \(q.file) › \(q.section); got " + hits.map { "\(pathByID[$0.documentID] ?? "?") › \($0.headingPath.last ?? "")" }.joined(separator: " | "))
                }
            }
            print("relevance (\(TestDatabase.dialect)): \(found)/\(questions.count) questions have the expected section in the top 3")
            for miss in misses { print("  miss: \(miss)") }
            #expect(found >= 18, "\(misses)")
        }
    }

    @Test("search: citations carry title, heading path, source URL with anchor, snippet; markup-only words never match")
    func citations() async throws {
        try await TestDatabase.with { db in
            let store = SQLDocumentStore(database: db)
            _ = try await DocumentIngester(store: store, baseURL: "https://book.example/docs/").ingest(try DocumentIngester.files(in: [Self.corpus]))
            let hits = try await store.search("rotate signing keys", limit: 5)
            let top = try #require(hits.first)
            #expect(top.title.isEmpty == false)
            #expect(top.source?.hasPrefix("https://book.example/docs/") == true)
            #expect(top.source?.contains("#") == true)
            #expect(!top.snippet.isEmpty && top.snippet.count < 400)
            #expect(hits == hits.sorted { $0.score > $1.score })
            for hidden in ["flibbertigibbetTelemetry", "Zephyrine", "quixotic"] {
                let found = try await store.search(hidden, limit: 5)
                #expect(found.isEmpty, "\(hidden)")
            }
            // Query syntax is never passed through: quotes, operators and NUL-free junk are just words.
            let junk = try await store.search(#"" OR * NEAR( "key" -- '; DROP TABLE chunk"#, limit: 5)
            #expect(junk.count <= 5)
            let empty = try await store.search("   ?!  ", limit: 5)
            #expect(empty.isEmpty)
        }
    }

    @Test("re-ingest: unchanged files skipped, a changed file re-chunked, a removed document gone from search")
    func reingest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("guide"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 0..<20 {
            try "# Page \(i)\n\n## Topic\n\nThis page talks about subject\(i) and nothing else.\n".write(to: dir.appendingPathComponent("guide/p\(i).md"), atomically: true, encoding: .utf8)
        }
        try await TestDatabase.with { db in
            let store = SQLDocumentStore(database: db)
            let ingester = DocumentIngester(store: store, baseURL: "https://b.example")
            var progress: [Int] = []
            let first = try await ingester.ingest(try DocumentIngester.files(in: [dir.path])) { done, _, _, _ in progress.append(done) }
            #expect(first.added == 20 && first.updated == 0 && first.unchanged == 0)
            #expect(progress == Array(1...20))
            try "# Page 3\n\n## Topic\n\nNow it is about zebras.\n".write(to: dir.appendingPathComponent("guide/p3.md"), atomically: true, encoding: .utf8)
            let second = try await ingester.ingest(try DocumentIngester.files(in: [dir.path]))
            #expect(second.added == 0 && second.updated == 1 && second.unchanged == 19)
            let zebras = try await store.search("zebras", limit: 5)
            #expect(zebras.count == 1 && zebras.first?.source == "https://b.example/guide/p3#topic")
            let old = try await store.search("subject3", limit: 5)
            #expect(old.isEmpty)
            let removed = try await store.remove(["guide/p3.md"])
            try await store.refreshStatistics()
            #expect(removed.count == 1)
            let gone = try await store.search("zebras", limit: 5)
            #expect(gone.isEmpty)
            let folder = try await store.remove(["guide/"])
            #expect(folder.count == 19)
            let all = try await store.all()
            #expect(all.isEmpty)
        }
    }
}
