import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoaCore

/// `/api/conversations`, `/api/user/history` and `/api/feedback`.
struct ConversationRoutes: Sendable {
    let store: any ConversationStore
    let clock: any StoaClock
    /// First pages of the history kept in memory while this server is the only Stoa process on
    /// its PostgreSQL database (nil: every read asks the database).
    var historyCache: HistoryCache? = nil
    static let notFound = StoaError.notFound("Conversation")

    func register(on api: RouterGroup<UserRequestContext>) {
        api.get("conversations") { request, context in try await list(request, context) }
        api.post("conversations") { request, context in try await create(request, context) }
        api.get("conversations/{id}") { request, context in try await get(request, context) }
        api.patch("conversations/{id}") { request, context in try await update(request, context) }
        api.delete("conversations/{id}") { request, context in try await delete(request, context) }
        api.get("conversations/{id}/messages") { request, context in try await messages(request, context) }
        api.get("conversations/{id}/export") { request, context in try await export(request, context) }
        api.get("user/history") { request, context in try await history(request, context) }
        api.post("feedback") { request, context in try await feedback(request, context) }
    }

    func list(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let page = try request.page()
        var archived = false
        if let raw = request.query("archived") {
            guard let value = Bool(raw.lowercased()) else { throw StoaError.validation("archived must be true or false") }
            archived = value
        }
        let q = request.query("q")
        if let q, q.count > 500 { throw StoaError.validation("q must be at most 500 characters") }
        return try .encoded(PageResponse(try await store.list(userID: context.user.id, archived: archived, query: q, page: page), ConversationResponse.init))
    }

    func create(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let body = try await request.decode(as: NewConversationBody.self, context: context)
        let conversation = try await store.create(userID: context.user.id, id: nil, title: body.cleanTitle, at: clock.now())
        return try .encoded(ConversationResponse(conversation), status: .created)
    }

    func get(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        guard let conversation = try await store.get(userID: context.user.id, id: id) else { throw Self.notFound }
        return try .encoded(ConversationResponse(conversation))
    }

    func update(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        let body = try await request.decode(as: ConversationPatchBody.self, context: context)
        guard let conversation = try await store.update(userID: context.user.id, id: id, title: body.newTitle, pinned: body.newPinned,
                                                        archived: body.newArchived, at: clock.now()) else { throw Self.notFound }
        return try .encoded(ConversationResponse(conversation))
    }

    func delete(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        guard try await store.delete(userID: context.user.id, id: id) else { throw Self.notFound }
        return Response(status: .noContent)
    }

    func messages(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        guard let page = try await store.messages(userID: context.user.id, conversationID: id, page: try request.page()) else { throw Self.notFound }
        return .json(writing: PageResponse(page, MessageResponse.init))
    }

    func export(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        let format = request.query("format") ?? "json"
        guard format == "json" || format == "md" else { throw StoaError.validation("format must be json or md") }
        guard let conversation = try await store.get(userID: context.user.id, id: id),
              let messages = try await store.allMessages(userID: context.user.id, conversationID: id) else { throw Self.notFound }
        var headers = HTTPFields()
        headers[.contentDisposition] = #"attachment; filename="conversation-\#(id).\#(format)""#
        if format == "json" {
            return try .encoded(ExportResponse(conversation: ConversationResponse(conversation), messages: messages.map(MessageResponse.init)), headers: headers)
        }
        headers[.contentType] = "text/markdown; charset=utf-8"
        var text = "# \(conversation.title.isEmpty ? "Untitled conversation" : conversation.title)\n\n"
        text += "_Exported \(ISO8601.string(from: clock.now())) · \(messages.count) messages_\n\n"
        for message in messages {
            text += "## \(message.role.rawValue.capitalized) · \(ISO8601.string(from: message.createdAt))\n\n\(message.content)\n\n"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(string: text)))
    }

    func history(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let page = try request.page()
        let userID = context.user.id
        guard let historyCache, page.cursor == nil else {
            return .json(writing: PageResponse(try await store.history(userID: userID, page: page), MessageResponse.init))
        }
        if let kept = historyCache.page(userID: userID, limit: page.limit) { return .json(bytes: kept) }
        let ticket = historyCache.ticket()
        let body = ByteBuffer.json(writing: PageResponse(try await store.history(userID: userID, page: page), MessageResponse.init))
        if let ticket { historyCache.keep(body, userID: userID, limit: page.limit, ticket: ticket) }
        return .json(bytes: body)
    }

    func feedback(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let body = try await request.decode(as: FeedbackBody.self, context: context)
        guard body.rating == "up" || body.rating == "down" else { throw StoaError.validation("rating must be \"up\" or \"down\"") }
        let notFound = StoaError.notFound("Message")
        let comment = body.cleanComment
        guard UUIDv7.isValid(body.messageID),
              let id = try await store.addFeedback(userID: context.user.id, messageID: body.messageID.lowercased(), rating: body.rating,
                                                   comment: comment?.isEmpty == true ? nil : comment, at: clock.now()) else { throw notFound }
        return try .encoded(FeedbackResponse(id: id), status: .created)
    }
}
