import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StoaCore
import Synchronization
import Tasks
import Testing

/// The Gemini provider against a local server speaking `streamGenerateContent?alt=sse` as the
/// published reference describes: `candidates[].content.parts[]` with `text` or whole
/// `functionCall` parts, `functionResponse` parts going back, and `{"error": {…}}` bodies.
@Suite struct GeminiWireTests {
    final class Recorder: Sendable {
        let bodies = Mutex<[JSONValue]>([])
        let keys = Mutex<[String]>([])
        let paths = Mutex<[String]>([])
        let exhausted = Mutex<Bool>(false)
    }

    static func chunk(_ parts: String) -> String {
        #"data: {"candidates":[{"content":{"parts":\#(parts),"role":"model"},"index":0}],"modelVersion":"gemini-test"}"# + "\r\n\r\n"
    }

    static func fakeServer(_ recorder: Recorder) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1beta/models/{model}") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = JSONValue.parse(Data(buffer.readableBytesView)) ?? .null
            recorder.bodies.withLock { $0.append(body) }
            recorder.keys.withLock { $0.append(request.headers[HTTPField.Name("x-goog-api-key")!] ?? "") }
            recorder.paths.withLock { $0.append("\(context.parameters.get("model") ?? "")?\(request.uri.query ?? "")") }
            if recorder.exhausted.withLock({ $0 }) {
                return Response(status: .tooManyRequests, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(
                    string: #"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#)))
            }
            guard case .array(let contents)? = body["contents"], case .array(let parts)? = contents.last?["parts"] else { return Response(status: .badRequest) }
            let events: String
            if parts.first?["functionResponse"] != nil {
                events = chunk(#"[{"text":"Added "}]"#) + chunk(#"[{"text":"it."}]"#)
            } else {
                events = chunk(#"[{"functionCall":{"name":"add_task","args":{"title":"Buy milk"}}}]"#)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: events)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test("functionCall part → tool runs → functionResponse goes back → streamed answer") func toolRound() async throws {
        let recorder = Recorder()
        try await Self.fakeServer(recorder).test(.live) { client in
            try await OpenAIWireTests.withUser { tools, store, userID in
                var settings = GeminiModel.Settings(apiKey: "g-key", model: "gemini-test")
                settings.baseURL = "http://127.0.0.1:\(client.port!)/v1beta"
                let (reply, records) = try await OpenAIWireTests.run(AssistantEngine(model: GeminiModel(settings: settings), tools: UserToolbox(scope: tools)), "add a task to buy milk")
                #expect(reply == "Added it.", "requests: \(recorder.bodies.withLock { $0.count })")
                #expect(records.map(\.name) == ["add_task"])
                #expect(try await store.list(userID: userID, status: .all, query: nil, page: PageRequest()).items.map(\.title) == ["Buy milk"])
                #expect(recorder.paths.withLock { $0 }.allSatisfy { $0 == "gemini-test:streamGenerateContent?alt=sse" })
                #expect(recorder.keys.withLock { $0 }.allSatisfy { $0 == "g-key" })
                let bodies = recorder.bodies.withLock { $0 }
                #expect(bodies.first?["systemInstruction"] != nil)
                guard case .array(let declarationsWrapper)? = bodies.first?["tools"], case .array(let declarations)? = declarationsWrapper.first?["functionDeclarations"] else {
                    Issue.record("no functionDeclarations"); return
                }
                #expect(declarations.count == 5)
                #expect(!declarations.first!.serialized.contains("additionalProperties"))
                guard case .array(let contents)? = bodies.last?["contents"] else { Issue.record("no contents"); return }
                #expect(contents[contents.count - 2]["role"] == .string("model"))
                guard case .array(let lastParts)? = contents.last?["parts"] else { Issue.record("no parts"); return }
                #expect(lastParts.first?["functionResponse"]?["name"] == .string("add_task"))
            }
        }
    }

    @Test("429 with an error body is retried, then the next model answers") func quota() async throws {
        let recorder = Recorder()
        recorder.exhausted.withLock { $0 = true }
        try await Self.fakeServer(recorder).test(.live) { client in
            try await OpenAIWireTests.withUser { tools, _, _ in
                var settings = GeminiModel.Settings(apiKey: "g-key", model: "gemini-test")
                settings.baseURL = "http://127.0.0.1:\(client.port!)/v1beta"
                settings.retries = 1
                do {
                    _ = try await OpenAIWireTests.run(AssistantEngine(model: GeminiModel(settings: settings), tools: UserToolbox(scope: tools)), "hi")
                    Issue.record("no error")
                } catch let error as ProviderError {
                    #expect(error.description.contains("429") && error.description.contains("exhausted"))
                }
                #expect(recorder.bodies.withLock { $0.count } == 2)
                let fallback = FallbackModel([GeminiModel(settings: settings), BuiltinModel()], logger: Logger(label: "test"))
                let (reply, _) = try await OpenAIWireTests.run(AssistantEngine(model: fallback, tools: UserToolbox(scope: tools)), "add a task to buy milk")
                #expect(reply == "Added task: Buy milk")
            }
        }
    }

    @Test("schemas are converted to Gemini's OpenAPI subset") func schema() {
        let converted = GeminiModel.geminiSchema(AssistantTool.updateTask.parameters)
        #expect(!converted.serialized.contains("additionalProperties"))
        #expect(converted["properties"]?["description"]?["type"] == .string("string"))
        #expect(converted["properties"]?["description"]?["nullable"] == .bool(true))
    }
}

