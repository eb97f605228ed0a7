import Assistant
import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Knowledge
import Logging
import NIOCore
import StoaCore
import Storage
import Tasks

/// The endpoints that run the assistant: `POST /api/conversations/{id}/messages` (JSON or SSE),
/// `POST /api/chat` and `POST /api/ask-selection`. The user's message is saved before the model
/// is called, so a provider failure never loses it.
struct ChatRoutes: Sendable {
    let conversations: any ConversationStore
    /// Makes the tools of one verified user.
    let toolboxes: Toolboxes
    let model: any ChatModel
    /// Turns per user per minute (nil: no limit).
    let turnLimiter: UserTurnLimiter?
    let clock: any StoaClock
    let logger: Logger
    /// How much recent history (characters) goes to the model; the newest message always does.
    let contextBudget: Int
    /// Turns by outcome and turn-limit refusals (nil when `STOA_METRICS` is off).
    var metrics: StoaMetrics? = nil
    static let maxContent = 32_000

    func register(on api: RouterGroup<UserRequestContext>) {
        api.post("conversations/{id}/messages") { request, context in try await post(request, context) }
        api.post("chat") { request, context in try await chat(request, context, selection: false) }
        api.post("ask-selection") { request, context in try await chat(request, context, selection: true) }
    }

    // MARK: - Routes

    func post(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: ConversationRoutes.notFound)
        let body = try await request.decode(as: NewMessageBody.self, context: context)
        let content = body.content
        try await checkTurnLimit(context.user.id, route: "/api/conversations/{id}/messages")
        var phases = PhaseTimer()
        // The message is saved and the context read (side by side on PostgreSQL); the saved
        // message then joins the context as the newest turn.
        guard let (userMessage, earlier) = try await conversations.appendUserMessage(
            userID: context.user.id, conversationID: id, content: content, at: clock.now(), contextLimit: historyLimit - 1) else {
            throw ConversationRoutes.notFound
        }
        phases.end("persist")
        let turn = try await prepare(userID: context.user.id, conversationID: id, request: request, page: body.pageContext,
                                     messages: earlier + [userMessage.context])
        phases.end("context")
        if request.headers[.accept]?.contains("text/event-stream") == true {
            return stream(turn, userMessage: userMessage)
        }
        let (text, records) = try await collect(turn)
        phases.end("assistant")
        let assistant = try await saveReply(turn, text: text, records: records, truncated: false)
        metrics?.chatTurns.record(.ok)
        phases.end("save")
        let json = try OrderedJSONEncoder.encode(ChatTurnResponse(userMessage: MessageResponse(userMessage), assistantMessage: MessageResponse(assistant)))
        phases.end("render")
        return .json(json, status: .created, headers: [.serverTiming: phases.header])
    }

    func chat(_ request: Request, _ context: UserRequestContext, selection: Bool) async throws -> Response {
        let content: String
        let sessionID: String?
        let page: PageContext?
        if selection {
            let body = try await request.decode(as: AskSelectionBody.self, context: context)
            content = "About this selected text:\n\n> \(body.selection.replacingOccurrences(of: "\n", with: "\n> "))\n\n\(body.question)"
            sessionID = body.session
            page = body.pageContext
        } else {
            let body = try await request.decode(as: ChatBody.self, context: context)
            content = body.query
            sessionID = body.session
            page = body.pageContext
        }
        try await checkTurnLimit(context.user.id, route: selection ? "/api/ask-selection" : "/api/chat")
        let conversationID = try await resolveConversation(userID: context.user.id, sessionID: sessionID)
        guard let userMessage = try await conversations.append(userID: context.user.id, conversationID: conversationID, role: .user, content: content,
                                                               sources: .array([]), toolCalls: .array([]), truncated: false, at: clock.now()) else {
            throw ConversationRoutes.notFound
        }
        let turn = try await prepare(userID: context.user.id, conversationID: conversationID, request: request, page: page)
        // `Accept: text/event-stream`: the same events as the messages route (the widget streams
        // both kinds of question); the `message` event carries the conversation id.
        if request.headers[.accept]?.contains("text/event-stream") == true {
            return stream(turn, userMessage: userMessage)
        }
        let (text, records) = try await collect(turn)
        let assistant = try await saveReply(turn, text: text, records: records, truncated: false)
        metrics?.chatTurns.record(.ok)
        return try .encoded(ChatReplyResponse(response: assistant.content, sessionID: conversationID, messageID: assistant.id, sources: assistant.sources))
    }

    /// Refuses a turn over the user's per-minute limit before anything is saved. `route` is the
    /// pattern the refusal is counted under.
    func checkTurnLimit(_ userID: String, route: String) async throws {
        guard let turnLimiter, case .denied(let retryAfter) = try await turnLimiter.check(userID: userID) else { return }
        if let metrics {
            metrics.chatTurns.record(.rateLimited)
            metrics.rateLimitRefusals(rule: "user_turns", route: route).increment()
        }
        throw StoaError.tooManyTurns(retryAfter: retryAfter)
    }

    /// `session_id` absent → new conversation; an unused UUID → a new conversation with that id;
    /// the user's own → that one; anyone else's → 404 (indistinguishable from missing).
    func resolveConversation(userID: String, sessionID: String?) async throws -> String {
        guard let sessionID else { return try await conversations.create(userID: userID, id: nil, title: "", at: clock.now()).id }
        guard UUIDv7.isValid(sessionID) else { throw StoaError.validation("session_id must be a UUID") }
        let id = sessionID.lowercased()
        if try await conversations.get(userID: userID, id: id) != nil { return id }
        do {
            return try await conversations.create(userID: userID, id: id, title: "", at: clock.now()).id
        } catch DatabaseError.uniqueViolation {
            throw ConversationRoutes.notFound
        }
    }

    // MARK: - The turn

    struct Turn: Sendable {
        let userID: String
        let conversationID: String
        let engine: AssistantEngine
        let history: [ChatTurn]
        let context: ModelContext
    }

    /// Most messages read for a turn's context (the character budget usually stops sooner).
    static let contextMessages = 100

    /// Messages read for a turn: ``contextMessages``, or fewer when the model cannot use more
    /// (the built-in model looks back 20).
    var historyLimit: Int { max(2, min(Self.contextMessages, model.historyLimit ?? Self.contextMessages)) }

    /// The turn over the conversation's recent messages (read now unless given, oldest first).
    func prepare(userID: String, conversationID: String, request: Request, page: PageContext? = nil,
                 messages given: [ContextMessage]? = nil) async throws -> Turn {
        let messages: [ContextMessage]
        if let given { messages = given } else {
            messages = try await conversations.recentMessages(userID: userID, conversationID: conversationID, limit: historyLimit)
        }
        var budget = contextBudget
        var recent: [ContextMessage] = []
        for message in messages.reversed() {
            budget -= message.content.count
            if budget < 0 && !recent.isEmpty { break }
            recent.append(message)
        }
        let history = recent.reversed().map { message in
            ChatTurn(role: ChatTurn.Role(rawValue: message.role.rawValue) ?? .user, content: message.content, savedToolCalls: message.toolCalls)
        }
        let zone = request.headers[.xTimezone].flatMap { TimeZone(identifier: $0) } ?? TimeZone(identifier: "UTC")!
        let engine = AssistantEngine(model: model, tools: toolboxes.toolbox(userID: userID, page: page))
        return Turn(userID: userID, conversationID: conversationID, engine: engine, history: history, context: ModelContext(now: clock.now(), timeZone: zone))
    }

    func collect(_ turn: Turn) async throws -> (String, [ToolRecord]) {
        var text = ""
        var records: [ToolRecord] = []
        do {
            try await turn.engine.run(history: turn.history, context: turn.context) { event in
                switch event {
                case .delta(let piece): text += piece
                case .tool(let record): records.append(record)
                }
            }
        } catch let error as DatabaseError {
            // A tool's query failed (the database went away mid-turn): 503 as for any request
            // then, not an upstream error; what was said is not saved (there is nowhere to).
            logger.warning("the database failed during a turn", metadata: ["error": "\(error)"])
            throw error
        } catch {
            logger.warning("assistant failed", metadata: ["model": "\(model.name)", "error": "\(error)"])
            metrics?.chatTurns.record(.upstreamError)
            // What was said before the failure is kept, marked as cut short.
            if !text.isEmpty || !records.isEmpty { _ = try await saveReply(turn, text: text, records: records, truncated: true) }
            throw Self.upstreamError
        }
        return (text, records)
    }

    static let upstreamError = StoaError(status: 502, code: "UPSTREAM_ERROR",
                                         message: "The assistant could not answer just now. Your message is saved; please try again.")

    func saveReply(_ turn: Turn, text: String, records: [ToolRecord], truncated: Bool) async throws -> Message {
        let reply = text.isEmpty && !truncated ? "Done." : text
        guard let message = try await conversations.append(
            userID: turn.userID, conversationID: turn.conversationID, role: .assistant, content: reply,
            sources: Self.sources(records), toolCalls: .array(records.map(\.json)), truncated: truncated, at: clock.now()) else {
            throw ConversationRoutes.notFound
        }
        return message
    }

    /// Server-sent events: `message`, then `delta`/`tool` as they happen, then `done` (or `error`).
    /// A client that disconnects stops generation; what was said so far is saved as truncated.
    func stream(_ turn: Turn, userMessage: Message) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let turns = metrics?.chatTurns
        let body = ResponseBody { writer in
            try await writer.write(Self.event("message", try OrderedJSONEncoder.encode(MessageResponse(userMessage))))
            var text = ""
            var records: [ToolRecord] = []
            var disconnected = false
            var failed = false
            do {
                events: for try await event in turn.engine.run(history: turn.history, context: turn.context) {
                    let payload: ByteBuffer
                    switch event {
                    case .delta(let piece):
                        text += piece
                        payload = Self.event("delta", .object([("text", .string(piece))]))
                    case .tool(let record):
                        records.append(record)
                        payload = Self.event("tool", record.json)
                    }
                    do { try await writer.write(payload) } catch { disconnected = true; break events }
                }
            } catch {
                logger.warning("assistant failed while streaming", metadata: ["model": "\(model.name)", "error": "\(error)"])
                failed = true
            }
            turns?.record(failed ? .upstreamError : disconnected ? .disconnected : .ok)
            if failed && text.isEmpty && records.isEmpty {
                try? await writer.write(Self.event("error", .object([("code", .string("UPSTREAM_ERROR")), ("message", .string(Self.upstreamError.message ?? ""))])))
                try await writer.finish(nil)
                return
            }
            let saved = try await saveReply(turn, text: text, records: records, truncated: disconnected || failed)
            if disconnected { return }
            if !failed, case .array(let items) = saved.sources, !items.isEmpty {
                try? await writer.write(Self.event("sources", .object([("items", saved.sources)])))
            }
            if failed {
                try? await writer.write(Self.event("error", .object([("code", .string("UPSTREAM_ERROR")), ("message", .string(Self.upstreamError.message ?? ""))])))
            } else {
                if let done = try? OrderedJSONEncoder.encode(MessageResponse(saved)) { try? await writer.write(Self.event("done", done)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The documents a reply drew on: every passage `search_documents` returned in this turn,
    /// in order, without repeats (api.md `{documentId, title, source, snippet}`).
    static func sources(_ records: [ToolRecord]) -> JSONValue {
        var seen = Set<String>()
        var items: [JSONValue] = []
        for record in records where record.name == AssistantTool.searchDocuments.name {
            for item in AssistantTool.citationSources(fromResult: record.result) {
                let key = [item["documentId"]?.stringValue ?? "", item["source"]?.stringValue ?? "", item["snippet"]?.stringValue ?? ""].joined(separator: "\u{1}")
                if seen.insert(key).inserted { items.append(item) }
            }
        }
        return .array(items)
    }

    static func event(_ name: String, _ data: JSONValue) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(data.serialized)\n\n")
    }
}

extension HTTPField.Name {
    static let xTimezone = HTTPField.Name("X-Timezone")!
}
