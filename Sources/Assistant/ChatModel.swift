import Foundation
import Synchronization
import StoaCore

/// One turn of the conversation as a model sees it.
public struct ChatTurn: Sendable {
    public enum Role: String, Sendable { case system, user, assistant, tool }
    public var role: Role
    public var content: String
    /// Tool calls the assistant made in this turn, with their results (as saved on the message).
    public var toolRecords: [ToolRecord] {
        get { saved?.records ?? ownRecords }
        set { ownRecords = newValue; saved = nil }
    }
    private var ownRecords: [ToolRecord]
    private var saved: SavedToolRecords?
    /// For `.tool` turns: which call this answers.
    public var toolCallID: String?

    public init(role: Role, content: String, toolRecords: [ToolRecord] = [], toolCallID: String? = nil) {
        self.role = role; self.content = content; self.ownRecords = toolRecords; self.toolCallID = toolCallID
    }

    /// A turn read back from a saved message: its tool calls are read when first asked for.
    public init(role: Role, content: String, savedToolCalls: SavedJSON) {
        self.init(role: role, content: content)
        saved = SavedToolRecords(savedToolCalls)
    }
}

/// The tool records of a saved message, made from its JSON the first time they are asked for
/// (and the same ones after: a saved record without an id is given one, once).
final class SavedToolRecords: Sendable {
    private let json: SavedJSON
    private let made = Mutex<[ToolRecord]?>(nil)

    init(_ json: SavedJSON) { self.json = json }

    var records: [ToolRecord] {
        made.withLock { made in
            if let made { return made }
            let records = if case .array(let items) = json.value { items.compactMap(ToolRecord.init(json:)) } else { [ToolRecord]() }
            made = records
            return records
        }
    }
}

/// A tool call requested by a model.
public struct ToolCall: Sendable, Equatable {
    public let id: String
    public let name: String
    public let arguments: JSONValue
    public init(id: String, name: String, arguments: JSONValue) { self.id = id; self.name = name; self.arguments = arguments }
}

/// A tool call and what it returned: saved on the assistant message and shown to clients.
public struct ToolRecord: Sendable, Equatable {
    public let id: String
    public let name: String
    public let arguments: JSONValue
    public let result: JSONValue
    public init(id: String, name: String, arguments: JSONValue, result: JSONValue) {
        self.id = id; self.name = name; self.arguments = arguments; self.result = result
    }

    /// api.md's `{name, arguments, result}`.
    public var json: JSONValue { .object([("name", .string(name)), ("arguments", arguments), ("result", result)]) }

    /// A record read back from a saved message. Saved records carry no id (api.md's shape), so
    /// each gets a fresh one: providers only need a call and its result to share an id within
    /// one request. A counter, not `UUID()`, which opens `/dev/urandom` on every call on Linux
    /// (a chat turn reads back dozens of records).
    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue else { return nil }
        let id = json["id"]?.stringValue ?? "call_saved_\(Self.savedCounter.add(1, ordering: .relaxed).newValue)"
        self.init(id: id, name: name, arguments: json["arguments"] ?? .object([]), result: json["result"] ?? .null)
    }

    private static let savedCounter = Atomic<Int>(0)
}

/// What a model produces in one round: text pieces, tool calls, or both.
public enum ModelEvent: Sendable, Equatable {
    case textDelta(String)
    case toolCall(ToolCall)
}

/// A language model (or the built-in rule engine) behind one interface.
public protocol ChatModel: Sendable {
    /// A short name for logs (`builtin`, `openai:gpt-4o-mini`, …).
    var name: String { get }
    /// One round: given the conversation so far (ending with a user turn or tool results) and
    /// the tools it may call, stream text and/or tool calls.
    func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error>
    /// The most recent messages this model can make use of, or `nil` for as many as the
    /// context budget holds. A turn reads no more than this from the database.
    var historyLimit: Int? { get }
}

extension ChatModel {
    public var historyLimit: Int? { nil }
}

/// A model's event stream driven by one task: `produce` yields events; returning finishes the
/// stream, throwing fails it, and a consumer that goes away cancels the task.
func modelEventStream(_ produce: @escaping @Sendable (AsyncThrowingStream<ModelEvent, Error>.Continuation) async throws -> Void)
    -> AsyncThrowingStream<ModelEvent, Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

/// Facts a model may need that are not in the conversation.
public struct ModelContext: Sendable {
    public var now: Date
    public var timeZone: TimeZone
    public init(now: Date, timeZone: TimeZone) { self.now = now; self.timeZone = timeZone }
}
