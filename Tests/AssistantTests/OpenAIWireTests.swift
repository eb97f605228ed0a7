import AsyncHTTPClient
import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StoaCore
import StoaTestSupport
import Synchronization
import Tasks
import Testing

/// The OpenAI-compatible provider against a local server that speaks Chat Completions the way
/// the published API reference describes: SSE chunks, `delta.tool_calls` split across chunks
/// (id and name first, then argument fragments), `[DONE]`, and `{"error": {…}}` bodies.
@Suite struct OpenAIWireTests {
    final class Recorder: Sendable {
        let bodies = Mutex<[JSONValue]>([])
        let authorizations = Mutex<[String]>([])
        let failuresLeft = Mutex<Int>(0)
    }

    static func chunk(_ delta: String, finish: String? = nil) -> String {
        #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finish.map { "\"\($0)\"" } ?? "null")}]}"# + "\n\n"
    }

    static func fakeServer(_ recorder: Recorder) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1/chat/completions") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = JSONValue.parse(Data(buffer.readableBytesView)) ?? .null
            recorder.bodies.withLock { $0.append(body) }
            recorder.authorizations.withLock { $0.append(request.headers[.authorization] ?? "") }
            let fail = recorder.failuresLeft.withLock { left -> Bool in
                if left > 0 { left -= 1; return true }
                return false
            }
            if fail {
                return Response(status: .internalServerError, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"The server had an error","type":"server_error","code":null}}"#)))
            }
            guard case .array(let messages)? = body["messages"] else { return Response(status: .badRequest) }
            var events = ""
            if messages.last?["role"] == .string("tool") {
                events += chunk(#"{"role":"assistant","content":""}"#)
                events += chunk(#"{"content":"Added "}"#) + chunk(#"{"content":"it."}"#) + chunk("{}", finish: "stop")
            } else {
                events += chunk(#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"add_task","arguments":""}}]}"#)
                events += chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"title\": \"Bu"}}]}"#)
                events += chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"y milk\"}"}}]}"#)
                events += chunk("{}", finish: "tool_calls")
            }
            events += "data: [DONE]\n\n"
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: events)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func withUser(_ body: @escaping @Sendable (ToolScope, any TaskStore, String) async throws -> Void) async throws {
        try await TestDatabase.with { db in
            let userID = RandomID.generate()
            let now = Date()
            try await db.execute(#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                                 userID, "T", "\(userID)@x.io", false, now, now)
            let store = SQLTaskStore(database: db)
            try await body(ToolScope(userID: userID, tasks: store, clock: SystemClock()), store, userID)
        }
    }

    static func run(_ engine: AssistantEngine, _ text: String) async throws -> (String, [ToolRecord]) {
        var reply = ""
        var records: [ToolRecord] = []
        for try await event in engine.run(history: [ChatTurn(role: .user, content: text)], context: ModelContext(now: Date(), timeZone: .gmt)) {
            switch event {
            case .delta(let piece): reply += piece
            case .tool(let record): records.append(record)
            }
        }
        return (reply, records)
    }

    @Test("streamed tool call split across chunks → tool runs → streamed answer") func toolRound() async throws {
        let recorder = Recorder()
        try await Self.fakeServer(recorder).test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)/v1"
            try await Self.withUser { tools, store, userID in
                let model = OpenAIModel(settings: .init(baseURL: base, apiKey: "sk-test", model: "gpt-test"))
                let (reply, records) = try await Self.run(AssistantEngine(model: model, tools: UserToolbox(scope: tools)), "add a task to buy milk")
                #expect(reply == "Added it.")
                #expect(records.map(\.name) == ["add_task"])
                #expect(records.first?.arguments == .object([("title", .string("Buy milk"))]))
                let titles = try await store.list(userID: userID, status: .all, query: nil, page: PageRequest()).items.map(\.title)
                #expect(titles == ["Buy milk"])
                let bodies = recorder.bodies.withLock { $0 }
                #expect(bodies.count == 2)
                #expect(bodies.first?["model"] == .string("gpt-test") && bodies.first?["stream"] == .bool(true))
                guard case .array(let tools)? = bodies.first?["tools"] else { Issue.record("no tools sent"); return }
                #expect(tools.count == 5 && tools.first?["function"]?["name"] == .string("add_task"))
                guard case .array(let second)? = bodies.last?["messages"] else { Issue.record("no messages"); return }
                #expect(second.last?["role"] == .string("tool") && second.last?["tool_call_id"] == .string("call_abc"))
                #expect(second[second.count - 2]["tool_calls"] != nil)
                #expect(recorder.authorizations.withLock { $0 }.allSatisfy { $0 == "Bearer sk-test" })
            }
        }
    }

    @Test("5xx is retried with backoff; persistent failures reach the fallback model") func errors() async throws {
        let recorder = Recorder()
        try await Self.fakeServer(recorder).test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)/v1"
            try await Self.withUser { tools, _, _ in
                recorder.failuresLeft.withLock { $0 = 1 }
                let model = OpenAIModel(settings: .init(baseURL: base, apiKey: nil, model: "m"))
                let (reply, _) = try await Self.run(AssistantEngine(model: model, tools: UserToolbox(scope: tools)), "add x")
                #expect(reply == "Added it.")
                recorder.failuresLeft.withLock { $0 = 100 }
                var settings = OpenAIModel.Settings(baseURL: base, apiKey: nil, model: "m")
                settings.retries = 1
                await #expect(throws: ProviderError.self) { _ = try await Self.run(AssistantEngine(model: OpenAIModel(settings: settings), tools: UserToolbox(scope: tools)), "add x") }
                let fallback = FallbackModel([OpenAIModel(settings: settings), BuiltinModel()], logger: Logger(label: "test"))
                let (answer, records) = try await Self.run(AssistantEngine(model: fallback, tools: UserToolbox(scope: tools)), "add a task to water plants")
                #expect(answer == "Added task: Water plants")
                #expect(records.map(\.name) == ["add_task"])
            }
        }
    }

    @Test("an unreachable server fails fast and falls back") func unreachable() async throws {
        try await Self.withUser { tools, _, _ in
            var settings = OpenAIModel.Settings(baseURL: "http://127.0.0.1:9/v1", apiKey: nil, model: "m")
            settings.retries = 0
            let fallback = FallbackModel([OpenAIModel(settings: settings), BuiltinModel()], logger: Logger(label: "test"))
            let (answer, _) = try await Self.run(AssistantEngine(model: fallback, tools: UserToolbox(scope: tools)), "what's on my list")
            #expect(answer.contains("no open tasks"))
        }
    }
}
