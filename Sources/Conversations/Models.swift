import Foundation
import StoaCore

/// Who wrote a message.
public enum MessageRole: String, Sendable, CaseIterable {
    case user, assistant, tool, system
}

/// A conversation row, with the summary fields lists show.
public struct Conversation: Sendable, Equatable {
    public let id: String
    public var title: String
    public var pinned: Bool
    public var archived: Bool
    public let createdAt: Date
    public var updatedAt: Date
    public var messageCount: Int
    public var lastMessage: (role: MessageRole, preview: String)?

    public init(id: String, title: String, pinned: Bool, archived: Bool, createdAt: Date, updatedAt: Date,
                messageCount: Int = 0, lastMessage: (role: MessageRole, preview: String)? = nil) {
        self.id = id; self.title = title; self.pinned = pinned; self.archived = archived
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.messageCount = messageCount; self.lastMessage = lastMessage
    }

    public static func == (lhs: Conversation, rhs: Conversation) -> Bool {
        lhs.id == rhs.id && lhs.title == rhs.title && lhs.pinned == rhs.pinned && lhs.archived == rhs.archived
            && lhs.createdAt == rhs.createdAt && lhs.updatedAt == rhs.updatedAt && lhs.messageCount == rhs.messageCount
    }
}

/// A message as the assistant's context needs it: who said what, and the tools it called.
/// Read with four columns instead of eight (a turn reads up to a hundred of these).
public struct ContextMessage: Sendable, Equatable {
    public let id: String
    public let role: MessageRole
    public let content: String
    /// The saved tool calls (a JSON array), parsed when first read.
    public let toolCalls: SavedJSON

    public init(id: String, role: MessageRole, content: String, toolCalls: SavedJSON) {
        self.id = id; self.role = role; self.content = content; self.toolCalls = toolCalls
    }
}

/// A message row. `sources` and `toolCalls` are JSON arrays kept as given.
public struct Message: Sendable {
    public let id: String
    public let conversationId: String
    public let role: MessageRole
    public let content: String
    /// `content` as safe HTML (``MarkdownRenderer``), rendered once when the message is saved.
    public let html: String
    public var sources: JSONValue
    public var toolCalls: JSONValue
    public var truncated: Bool
    public let createdAt: Date

    /// `html` is rendered from `content` when not given (a new message, or a row from before it was stored).
    public init(id: String, conversationId: String, role: MessageRole, content: String, html: String? = nil, sources: JSONValue = .array([]),
                toolCalls: JSONValue = .array([]), truncated: Bool = false, createdAt: Date) {
        self.id = id; self.conversationId = conversationId; self.role = role; self.content = content
        self.html = html ?? MarkdownRenderer.html(content)
        self.sources = sources; self.toolCalls = toolCalls; self.truncated = truncated; self.createdAt = createdAt
    }

    /// This message as context for the assistant.
    public var context: ContextMessage { ContextMessage(id: id, role: role, content: content, toolCalls: SavedJSON(toolCalls)) }
}
