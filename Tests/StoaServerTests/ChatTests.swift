import Assistant
import Conversations
import Foundation
import HTTPTypes
import Logging
import StoaCore
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The chat endpoints: JSON and SSE turns, failures that keep the user's words, disconnects.
@Suite struct ChatTests {
    /// A model that fails, optionally after saying something.
    struct FailingModel: ChatModel {
        let name = "failing"
        let partial: String?
        func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
            AsyncThrowingStream { continuation in
                if let partial { continuation.yield(.textDelta(partial)) }
                continuation.finish(throwing: URLError(.badServerResponse))
            }
        }
    }

    /// A model that types slowly (one word per 50 ms, 100 words) and counts what it produced.
    final class SlowModel: ChatModel, @unchecked Sendable {
        let name = "slow"
        let produced = Atomic<Int>(0)
        func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
            AsyncThrowingStream { continuation in
                let task = Task {
                    for i in 0..<100 {
                        try? await Task.sleep(for: .milliseconds(50))
                        if Task.isCancelled { break }
                        self.produced.add(1, ordering: .relaxed)
                        continuation.yield(.textDelta("word\(i) "))
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
    }

    /// A model that records how many turns of history (beyond the system prompt) it was given.
    final class HistoryRecorder: ChatModel, @unchecked Sendable {
        let name = "recorder"
        let historyLimit: Int?
        let seen = Mutex<[Int]>([])
        init(historyLimit: Int?) { self.historyLimit = historyLimit }
        func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
            seen.withLock { $0.append(conversation.filter { $0.role != .system }.count) }
            return AsyncThrowingStream { continuation in
                continuation.yield(.textDelta("ok"))
                continuation.finish()
            }
        }
    }

    @Test("history: 100 messages for a model that takes them all, the model's own limit otherwise (built-in: 20)",
          arguments: [(Int?.none, 100), (20, 20), (5, 5)])
    func historyLimit(limit: Int?, expected: Int) async throws {
        let recorder = HistoryRecorder(historyLimit: limit)
        try await TestApp.run(model: recorder) { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let id = try await a.createConversation()
            let start = app.clock.now()
            for i in 0..<150 {
                _ = try await app.services.conversations.append(
                    userID: a.id, conversationID: id, role: i % 2 == 0 ? .user : .assistant, content: "message \(i)",
                    sources: .array([]), toolCalls: .array([]), truncated: false, at: start.addingTimeInterval(Double(i)))
            }
            app.clock.advance(by: 200)
            #expect(try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"and now?"}"#).status == 201)
            #expect(recorder.seen.withLock { $0 } == [expected])
        }
    }

    @Test("history limits: built-in 20; a fallback chain takes the largest, or all if any member does") func fallbackHistoryLimit() {
        #expect(BuiltinModel().historyLimit == 20)
        #expect(FallbackModel([BuiltinModel(), HistoryRecorder(historyLimit: 40)], logger: Logger(label: "test")).historyLimit == 40)
        #expect(FallbackModel([HistoryRecorder(historyLimit: nil), BuiltinModel()], logger: Logger(label: "test")).historyLimit == nil)
    }

    static func events(_ text: String) -> [(String, JSONValue?)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var name: String? = nil, data: String? = nil
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            return name.map { ($0, data.flatMap { JSONValue.parse(Data($0.utf8)) }) }
        }
    }

    @Test("a JSON turn runs the tool, saves both messages and the task") func jsonTurn() async throws {
        try await TestApp.run { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let id = try await a.createConversation()
            let reply = try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"add a task to buy milk"}"#)
            #expect(reply.status == 201)
            // Server-Timing: Stoa's own time first, then the turn's phases, each with two decimals.
            let timing = (reply.headers[HTTPField.Name("Server-Timing")!] ?? "").components(separatedBy: ", ").map { $0.components(separatedBy: ";dur=") }
            #expect(timing.map(\.[0]) == ["app", "persist", "context", "assistant", "save", "render"])
            #expect(timing.allSatisfy { $0.count == 2 && $0[1].wholeMatch(of: /\d+\.\d\d/) != nil }, "\(timing)")
            #expect(reply.json?["userMessage"]?["content"] == .string("add a task to buy milk"))
            let assistant = reply.json?["assistantMessage"]
            #expect(assistant?["content"] == .string("Added task: Buy milk"))
            guard case .array(let calls)? = assistant?["toolCalls"] else { Issue.record("no tool calls"); return }
            #expect(calls.first?["name"] == .string("add_task"))
            #expect(calls.first?["result"]?["task"]?["title"] == .string("Buy milk"))
            let tasks = try await a.call(.get, "/api/tasks")
            #expect(tasks.json?["items"].map { if case .array(let i) = $0 { return i.count } else { return 0 } } == 1)
            let conversation = try await a.call(.get, "/api/conversations/\(id)")
            #expect(conversation.json?["title"] == .string("add a task to buy milk"))
            #expect(conversation.json?["messageCount"] == .number(2))
            // Multi-turn: the saved tool results let "mark 1 done" refer to the list shown.
            _ = try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"what's on my list"}"#)
            let done = try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"mark 1 done"}"#)
            #expect(done.json?["assistantMessage"]?["content"] == .string("Marked done: Buy milk"))
        }
    }

    @Test("SSE: message, then tool and delta events in order, then done") func streaming() async throws {
        try await TestApp.run { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let id = try await a.createConversation()
            let reply = try await client.request(.post, "/api/conversations/\(id)/messages", json: #"{"content":"add a task to buy milk"}"#,
                                                 headers: ["Authorization": "Bearer \(a.token)", "Accept": "text/event-stream"])
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "text/event-stream")
            let events = Self.events(reply.text)
            let names = events.map(\.0)
            #expect(names.first == "message")
            #expect(names.last == "done")
            #expect(names.firstIndex(of: "tool")! < names.firstIndex(of: "delta")!)
            let text = events.filter { $0.0 == "delta" }.compactMap { $0.1?["text"]?.stringValue }.joined()
            #expect(text == "Added task: Buy milk")
            #expect(events.last?.1?["content"] == .string(text))
            #expect(events.first?.1?["role"] == .string("user"))
        }
    }

    @Test("a provider failure is 502 UPSTREAM_ERROR (or an SSE error event) and the user's message stays saved") func failures() async throws {
        try await TestApp.run(model: FailingModel(partial: nil)) { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let id = try await a.createConversation()
            let reply = try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"precious words"}"#)
            #expect(reply.status == 502 && reply.code == "UPSTREAM_ERROR")
            let messages = try await a.call(.get, "/api/conversations/\(id)/messages")
            guard case .array(let items)? = messages.json?["items"] else { Issue.record("no items"); return }
            #expect(items.count == 1 && items.first?["content"] == .string("precious words"))
            let stream = try await client.request(.post, "/api/conversations/\(id)/messages", json: #"{"content":"again"}"#,
                                                  headers: ["Authorization": "Bearer \(a.token)", "Accept": "text/event-stream"])
            let names = Self.events(stream.text).map(\.0)
            #expect(names == ["message", "error"])
            let chat = try await a.call(.post, "/api/chat", #"{"query":"hello"}"#)
            #expect(chat.status == 502)
        }
        try await TestApp.run(model: FailingModel(partial: "Half an ans")) { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let id = try await a.createConversation()
            let stream = try await client.request(.post, "/api/conversations/\(id)/messages", json: #"{"content":"go"}"#,
                                                  headers: ["Authorization": "Bearer \(a.token)", "Accept": "text/event-stream"])
            #expect(Self.events(stream.text).map(\.0) == ["message", "delta", "error"])
            let messages = try await a.call(.get, "/api/conversations/\(id)/messages")
            guard case .array(let items)? = messages.json?["items"] else { Issue.record("no items"); return }
            #expect(items.first?["content"] == .string("Half an ans") && items.first?["truncated"] == .bool(true))
        }
    }

    @Test("/api/chat and /api/ask-selection: new, own, client-minted and foreign session ids") func chatEndpoint() async throws {
        try await TestApp.run { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let b = try await APIUser.signUp(client, "b@x.io")
            let first = try await a.call(.post, "/api/chat", #"{"query":"add a task to buy milk"}"#)
            #expect(first.status == 200)
            #expect(first.json?["response"] == .string("Added task: Buy milk"))
            #expect(first.json?["sources"] == .array([]))
            let session = try #require(first.json?["session_id"]?.stringValue)
            let again = try await a.call(.post, "/api/chat", #"{"query":"what's on my list","session_id":"\#(session)"}"#)
            #expect(again.json?["session_id"] == .string(session))
            let minted = UUIDv7.generate()
            let mine = try await a.call(.post, "/api/chat", #"{"query":"hello","session_id":"\#(minted)"}"#)
            #expect(mine.status == 200 && mine.json?["session_id"] == .string(minted))
            let foreign = try await b.call(.post, "/api/chat", #"{"query":"hello","session_id":"\#(session)"}"#)
            #expect(foreign.status == 404)
            #expect(!foreign.text.contains(session))
            let selection = try await a.call(.post, "/api/ask-selection", #"{"selection":"Some text","question":"What is it?"}"#)
            #expect(selection.status == 200 && selection.json?["response"]?.stringValue?.isEmpty == false)
            let bad = try await a.call(.post, "/api/chat", #"{"query":""}"#)
            #expect(bad.status == 400 && bad.code == "VALIDATION_ERROR")
            let huge = try await a.call(.post, "/api/chat", #"{"query":"\#(String(repeating: "x", count: 32_001))"}"#)
            #expect(huge.status == 413)
        }
    }

    @Test("a client that disconnects mid-stream stops generation; the partial answer is saved as truncated") func disconnect() async throws {
        let model = SlowModel()
        try await TestApp.run(model: model, live: true) { client, app in
            let a = try await APIUser.direct(client, app, "a@x.io")
            let id = try await a.createConversation()
            let port = try #require(client.inner.port)
            let body = #"{"content":"tell me a long story"}"#
            let request = "POST /api/conversations/\(id)/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(a.token)\r\n"
                + "Accept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            // Blocking socket calls run on a thread of their own, never on the cooperative pool the
            // server's handlers need (on two busy cores a blocked pool thread starved the stream).
            let (connected, received) = await withCheckedContinuation { (done: CheckedContinuation<(Int32, String), Never>) in
                Thread.detachNewThread {
                    let (fd, connected) = LoopbackSocket.connect(port: port, receiveTimeout: 20)
                    _ = request.withCString { send(fd, $0, strlen($0), 0) }
                    var received = ""
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while !received.contains("event: delta") {
                        let n = recv(fd, &buffer, buffer.count, 0)
                        if n <= 0 { break }
                        received += String(decoding: buffer[0..<n], as: UTF8.self)
                    }
                    close(fd)
                    done.resume(returning: (connected, received))
                }
            }
            #expect(connected == 0)
            #expect(received.contains("event: delta"))
            try await Task.sleep(for: .seconds(1))
            let produced = model.produced.load(ordering: .relaxed)
            #expect(produced < 60, "generation went on after the disconnect: \(produced) words")
            // Read from the store, not over the test client's kept-alive connection: on a loaded
            // machine the server may have closed that idle connection meanwhile (its header timeout).
            var saved: Message?
            for _ in 0..<50 {
                saved = try await app.services.conversations.messages(userID: a.id, conversationID: id, page: PageRequest(limit: 5))?
                    .items.first { $0.role == .assistant }
                if saved != nil { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard let saved else { Issue.record("no assistant message saved"); return }
            #expect(saved.truncated)
            #expect(saved.content.hasPrefix("word0"))
        }
    }
}
