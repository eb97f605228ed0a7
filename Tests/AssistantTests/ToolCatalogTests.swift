import Foundation
import Knowledge
import StoaCore
import StoaTestSupport
import Tasks
import Testing
@testable import Assistant

/// One list of tools (``AssistantTool/all``) serves every model and the MCP server: names,
/// schemas and handlers live together, and what a model is offered is what runs.
@Suite struct ToolCatalogTests {
    struct NoDocuments: DocumentSearching {
        func search(_ query: String, limit: Int) async throws -> [SearchHit] { [] }
    }

    @Test("every tool: a unique snake_case name, a description and an object schema whose required keys exist")
    func catalog() {
        let names = AssistantTool.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names == ["add_task", "list_tasks", "complete_task", "update_task", "delete_task", "search_documents"])
        for tool in AssistantTool.all {
            #expect(tool.name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(tool.name)")
            #expect(tool.description.count > 20, "\(tool.name)")
            #expect(tool.parameters["type"]?.stringValue == "object", "\(tool.name)")
            #expect(tool.parameters["additionalProperties"] == .bool(false), "\(tool.name)")
            guard case .object(let properties)? = tool.parameters["properties"], case .array(let required)? = tool.parameters["required"] else {
                Issue.record("\(tool.name): no properties or required list"); continue
            }
            let keys = Set(properties.map(\.0))
            for key in required { #expect(keys.contains(key.stringValue ?? ""), "\(tool.name) requires \(key)") }
            #expect(AssistantTool.named(tool.name)?.name == tool.name)
        }
    }

    @Test("a toolbox offers search_documents only with documents; models are offered exactly the toolbox's tools")
    func offered() async throws {
        try await TestDatabase.with { db in
            let store = SQLTaskStore(database: db)
            let scope = ToolScope(userID: UUIDv7.generate(), tasks: store, clock: SystemClock())
            let plain = UserToolbox(scope: scope)
            #expect(plain.tools.map(\.name) == AssistantTool.all.filter { !$0.needsDocuments }.map(\.name))
            #expect(!plain.offers("search_documents"))
            let refused = try await plain.run("search_documents", arguments: .object([("query", .string("x"))]))
            #expect(refused["error"] != nil)

            let full = UserToolbox(scope: ToolScope(userID: scope.userID, tasks: store, clock: SystemClock(), documents: NoDocuments()))
            #expect(full.tools.map(\.name) == AssistantTool.all.map(\.name))

            let openAI = OpenAIModel(settings: .init(baseURL: "http://127.0.0.1:9/v1", apiKey: nil, model: "m"))
                .requestBody([ChatTurn(role: .user, content: "hi")], tools: full.tools)
            guard case .array(let offered)? = openAI["tools"] else { Issue.record("no tools in the OpenAI body"); return }
            #expect(offered.compactMap { $0["function"]?["name"]?.stringValue } == AssistantTool.all.map(\.name))

            let gemini = GeminiModel(settings: .init(apiKey: "k", model: "g")).requestBody([ChatTurn(role: .user, content: "hi")], tools: full.tools)
            guard case .array(let groups)? = gemini["tools"], case .array(let declarations)? = groups.first?["functionDeclarations"] else {
                Issue.record("no functionDeclarations in the Gemini body"); return
            }
            #expect(declarations.compactMap { $0["name"]?.stringValue } == AssistantTool.all.map(\.name))
        }
    }

    @Test("list_tasks: a due window, or only the tasks without a due date; bad arguments are refused, not guessed")
    func listTasksDueFilters() async throws {
        try await TestDatabase.with { db in
            let store = SQLTaskStore(database: db)
            let scope = ToolScope(userID: UUIDv7.generate(), tasks: store, clock: SystemClock())
            let toolbox = UserToolbox(scope: scope)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            try await db.execute(#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                                 scope.userID, "T", "\(scope.userID)@x.io", false, now, now)
            _ = try await store.create(userID: scope.userID, title: "undated", description: nil, dueAt: nil, at: now)
            _ = try await store.create(userID: scope.userID, title: "soon", description: nil, dueAt: now.addingTimeInterval(3600), at: now)
            func titles(_ arguments: [(String, JSONValue)]) async throws -> [String] {
                let result = try await toolbox.run("list_tasks", arguments: .object(arguments))
                guard case .array(let tasks)? = result["tasks"] else { return ["error: \(result["error"]?.stringValue ?? "?")"] }
                return tasks.compactMap { $0["title"]?.stringValue }
            }
            #expect(try await titles([]) == ["soon", "undated"])
            #expect(try await titles([("no_due_date", .bool(true))]) == ["undated"])
            #expect(try await titles([("no_due_date", .bool(false))]) == ["soon", "undated"])
            #expect(try await titles([("due_before", .string("2030-01-01"))]) == ["soon"])
            for bad: [(String, JSONValue)] in [[("no_due_date", .string("yes"))], [("no_due_date", .bool(true)), ("due_before", .string("2030-01-01"))],
                                               [("due_after", .string("soon"))]] {
                let result = try await toolbox.run("list_tasks", arguments: .object(bad))
                #expect(result["error"]?.stringValue?.isEmpty == false, "\(bad)")
            }
        }
    }
}
