import Conversations
import Foundation
import Hummingbird
import Identity
import Knowledge
import StoaCore
import Tasks

// The typed answers of `/api` (api.md). Each is `Encodable` with its fields in answer order and
// goes out through ``OrderedJSONEncoder`` (``Response/encoded(_:status:headers:)``).

/// A task.
struct TaskResponse: Encodable {
    let id: String
    let title: String
    let description: String?
    let completed: Bool
    let dueAt: Date?
    let createdAt: Date
    let updatedAt: Date

    init(_ task: TaskItem) {
        id = task.id; title = task.title; description = task.description; completed = task.completed
        dueAt = task.dueAt; createdAt = task.createdAt; updatedAt = task.updatedAt
    }
}

/// A conversation with its message count and a preview of its last message.
struct ConversationResponse: Encodable {
    struct LastMessage: Encodable {
        let role: String
        let preview: String
    }

    let id: String
    let title: String
    let pinned: Bool
    let archived: Bool
    let createdAt: Date
    let updatedAt: Date
    let messageCount: Int
    let lastMessage: LastMessage?

    init(_ conversation: Conversation) {
        id = conversation.id; title = conversation.title; pinned = conversation.pinned; archived = conversation.archived
        createdAt = conversation.createdAt; updatedAt = conversation.updatedAt; messageCount = conversation.messageCount
        lastMessage = conversation.lastMessage.map { LastMessage(role: $0.role.rawValue, preview: $0.preview) }
    }
}

/// A message: its text, the safe HTML rendered when it was saved, the sources and tool calls
/// of an assistant reply, and `truncated: true` only when a reply was cut short.
struct MessageResponse: Encodable {
    let id: String
    let conversationId: String
    let role: String
    let content: String
    let html: String
    let sources: JSONValue
    let toolCalls: JSONValue
    let createdAt: Date
    let truncated: Bool

    init(_ message: Message) {
        id = message.id; conversationId = message.conversationId; role = message.role.rawValue; content = message.content
        html = message.html; sources = message.sources; toolCalls = message.toolCalls; createdAt = message.createdAt
        truncated = message.truncated
    }

    enum CodingKeys: String, CodingKey { case id, conversationId, role, content, html, sources, toolCalls, createdAt, truncated }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(conversationId, forKey: .conversationId)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encode(html, forKey: .html)
        try container.encode(sources, forKey: .sources)
        try container.encode(toolCalls, forKey: .toolCalls)
        try container.encode(createdAt, forKey: .createdAt)
        if truncated { try container.encode(true, forKey: .truncated) }
    }
}

/// One page of a list: `{items, nextCursor}` (null on the last page).
struct PageResponse<Item: Encodable>: Encodable {
    let items: [Item]
    let nextCursor: String?

    init<Source>(_ page: Page<Source>, _ transform: (Source) -> Item) {
        items = page.items.map(transform)
        nextCursor = page.nextCursor?.encoded
    }
}

/// An ingested document.
struct DocumentResponse: Encodable {
    let id: String
    let title: String
    let source: String?
    let path: String
    let chunkCount: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ document: StoredDocument) {
        id = document.id; title = document.title; source = document.source; path = document.path
        chunkCount = document.chunkCount; createdAt = document.createdAt; updatedAt = document.updatedAt
    }
}

/// `GET /api/search`: the best passages with what a citation needs.
struct SearchResponse: Encodable {
    struct Item: Encodable {
        let documentId: String
        let title: String
        let source: String?
        let section: String
        let snippet: String
        let score: Double
    }

    let items: [Item]

    init(_ hits: [SearchHit]) {
        items = hits.map { hit in
            Item(documentId: hit.documentID, title: hit.title, source: hit.source, section: hit.headingPath.joined(separator: " › "),
                 snippet: hit.snippet, score: (hit.score * 10_000).rounded() / 10_000)
        }
    }
}

/// `GET /api/me`.
struct MeResponse: Encodable {
    let id: String
    let name: String
    let email: String
    let emailVerified: Bool
    let image: String?
    let createdAt: Date

    init(_ user: User) {
        id = user.id; name = user.name; email = user.email; emailVerified = user.emailVerified; image = user.image; createdAt = user.createdAt
    }
}

/// `POST /api/conversations/{id}/messages` (JSON): the saved message and the reply.
struct ChatTurnResponse: Encodable {
    let userMessage: MessageResponse
    let assistantMessage: MessageResponse
}

/// `POST /api/chat` and `POST /api/ask-selection`.
struct ChatReplyResponse: Encodable {
    let response: String
    let sessionID: String
    let messageID: String
    let sources: JSONValue

    enum CodingKeys: String, CodingKey {
        case response
        case sessionID = "session_id"
        case messageID = "message_id"
        case sources
    }
}

/// `POST /api/feedback`.
struct FeedbackResponse: Encodable {
    let id: String
}

/// `GET /api/conversations/{id}/export?format=json`.
struct ExportResponse: Encodable {
    let conversation: ConversationResponse
    let messages: [MessageResponse]
}

extension Response {
    /// A JSON response from a typed answer (fields in declaration order).
    static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        .json(try OrderedJSONEncoder.encode(value), status: status, headers: headers)
    }
}
