import Foundation
import Knowledge
import StoaCore
import Testing

/// Documents through the API: listing, search, and chat replies that cite their sources
/// (JSON, SSE and the saved message), on the shipped corpus.
@Suite struct DocumentTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/corpus").path

    static func ingest(_ app: TestApp) async throws {
        let summary = try await DocumentIngester(store: app.services.documents, baseURL: "https://book.example/docs")
            .ingest(try DocumentIngester.files(in: [corpus]))
        #expect(summary.added == 10)
    }

    static func first(_ value: JSONValue?) -> JSONValue? {
        if case .array(let items)? = value { return items.first } else { return nil }
    }

    static func items(_ reply: TestApp.Reply) -> [JSONValue] {
        if case .array(let items)? = reply.json?["items"] { return items } else { return [] }
    }

    @Test("GET /api/documents pages; GET /api/search ranks, validates and needs a user") func routes() async throws {
        try await TestApp.run { client, app in
            try await Self.ingest(app)
            let a = try await APIUser.signUp(client, "a@x.io")
            let first = try await a.call(.get, "/api/documents?limit=6")
            #expect(Self.items(first).count == 6)
            #expect(Self.items(first).first?["chunkCount"] != nil)
            let cursor = try #require(first.json?["nextCursor"]?.stringValue)
            let second = try await a.call(.get, "/api/documents?limit=6&cursor=\(cursor)")
            #expect(Self.items(second).count == 4 && second.json?["nextCursor"] == .null)
            let search = try await a.call(.get, "/api/search?q=rotate%20signing%20keys&limit=3")
            let hits = Self.items(search)
            #expect(search.status == 200 && hits.count == 3, "\(search.text)")
            #expect(hits.first?["title"]?.stringValue?.isEmpty == false)
            #expect(hits.first?["source"]?.stringValue?.hasPrefix("https://book.example/docs/tokens-and-keys#") == true)
            #expect(hits.first?["snippet"]?.stringValue?.isEmpty == false)
            for bad in ["/api/search", "/api/search?q=", "/api/search?q=x&limit=0", "/api/search?q=x&limit=51", "/api/search?q=x&limit=ten"] {
                let reply = try await a.call(.get, bad)
                #expect(reply.status == 400 && reply.code == "VALIDATION_ERROR", "\(bad)")
            }
            let anonymous = try await client.request(.get, "/api/search?q=keys")
            #expect(anonymous.status == 401)
        }
    }

    @Test("a question about the corpus: reply cites the right document in JSON, SSE and the saved message") func citedReplies() async throws {
        try await TestApp.run { client, app in
            try await Self.ingest(app)
            let a = try await APIUser.signUp(client, "a@x.io")
            let id = try await a.createConversation()
            let question = #"{"content":"What happens to my JWTs when a key is rotated?"}"#
            let reply = try await a.call(.post, "/api/conversations/\(id)/messages", question)
            #expect(reply.status == 201)
            let assistant = reply.json?["assistantMessage"]
            guard case .array(let sources)? = assistant?["sources"] else { Issue.record("no sources"); return }
            #expect(sources.first?["title"] == .string("Tokens and signing keys"), "\(sources)")
            #expect(sources.first?["source"]?.stringValue?.contains("tokens-and-keys#rotating-keys") == true, "\(sources)")
            #expect(assistant?["content"]?.stringValue?.contains("[1]") == true)
            #expect(Self.first(assistant?["toolCalls"])?["name"] == .string("search_documents"))

            let stream = try await client.request(.post, "/api/conversations/\(id)/messages", json: question,
                                                  headers: ["Authorization": "Bearer \(a.token)", "Accept": "text/event-stream"])
            let events = ChatTests.events(stream.text)
            let names = events.map(\.0)
            #expect(names.first == "message" && names.last == "done")
            let sourcesEvent = try #require(events.first { $0.0 == "sources" })
            #expect(names.firstIndex(of: "sources")! > names.lastIndex(of: "delta")!)
            #expect(Self.first(sourcesEvent.1?["items"])?["title"] == .string("Tokens and signing keys"))
            #expect(events.last?.1?["sources"] == sourcesEvent.1?["items"])

            let saved = try await a.call(.get, "/api/conversations/\(id)/messages?limit=1")
            #expect(Self.items(saved).first?["sources"] == sourcesEvent.1?["items"])

            let chat = try await a.call(.post, "/api/chat", #"{"query":"How do I move from SQLite to a hosted PostgreSQL like Neon?"}"#)
            #expect(Self.first(chat.json?["sources"])?["title"] == .string("Configuring Stoa"), "\(chat.text)")
        }
    }

    @Test("ask-selection grounds the answer in the selection plus retrieval") func askSelection() async throws {
        try await TestApp.run { client, app in
            try await Self.ingest(app)
            let a = try await APIUser.signUp(client, "a@x.io")
            let reply = try await a.call(.post, "/api/ask-selection",
                                         #"{"selection":"Stoa keeps retired keys in the JWKS for a grace period.","question":"What happens to tokens after rotation?"}"#)
            #expect(reply.status == 200)
            let text = reply.json?["response"]?.stringValue ?? ""
            #expect(text.contains("You selected: “Stoa keeps retired keys"))
            #expect(Self.first(reply.json?["sources"])?["title"] == .string("Tokens and signing keys"), "\(reply.text)")
        }
    }

    @Test("with no documents the built-in assistant says so plainly and cites nothing") func noDocuments() async throws {
        try await TestApp.run { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let reply = try await a.call(.post, "/api/chat", #"{"query":"What is the airspeed of an unladen swallow?"}"#)
            #expect(reply.json?["response"]?.stringValue?.contains("couldn't find anything") == true)
            #expect(reply.json?["sources"] == .array([]))
        }
    }
}
