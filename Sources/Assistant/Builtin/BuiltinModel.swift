import Foundation
import StoaCore

/// The offline assistant: no model, no network, deterministic. It understands everyday task
/// commands in English and drives the same tools a real model would, through the same loop:
/// one round picks a tool call, the next reads the result and answers in words.
public struct BuiltinModel: ChatModel {
    public let name = "builtin"
    public init() {}

    /// The built-in model reads history only to resolve "the second one" against the last
    /// list it showed; ten exchanges back is as far as such a reference reasonably reaches.
    public var historyLimit: Int? { 20 }

    public func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
        let events = plan(conversation, context: context, canSearch: tools.contains { $0.name == AssistantTool.searchDocuments.name })
        return AsyncThrowingStream { continuation in
            for event in events { continuation.yield(event) }
            continuation.finish()
        }
    }

    func plan(_ conversation: [ChatTurn], context: ModelContext, canSearch: Bool = false) -> [ModelEvent] {
        guard let lastUserIndex = conversation.lastIndex(where: { $0.role == .user }) else { return [.textDelta("How can I help?")] }
        let userText = conversation[lastUserIndex].content
        // Tool results gathered in this turn so far (after the user's message).
        let records = conversation[(lastUserIndex + 1)...].flatMap(\.toolRecords)
        let memory = Memory(history: Array(conversation[..<lastUserIndex]), context: context)
        var intent = Self.parseOnce(userText, context: context)
        if case .fragment(let fragment) = intent {
            // "I meant the dentist" after an undo corrects the request before it.
            var index = memory.exchanges.count - 1
            while fragment.correction, index > 0, [.undo, .dismiss].contains(memory.resolvedIntent(at: index)) { index -= 1 }
            let previous = index >= 0 ? memory.resolvedIntent(at: index) : nil
            intent = Self.combine(fragment, previous: previous, pending: memory.pending)
        }
        if canSearch, intent == .unknown {
            return answerFromDocuments(userText, records: records)
        }
        return Turn(model: self, records: records, memory: memory, context: context).step(intent)
    }

    func say(_ text: String) -> [ModelEvent] {
        // Stream word by word, as a model would.
        var events: [ModelEvent] = []
        var piece = ""
        for ch in text {
            piece.append(ch)
            if ch == " " || ch == "\n" { events.append(.textDelta(piece)); piece = "" }
        }
        if !piece.isEmpty { events.append(.textDelta(piece)) }
        return events
    }

    func call(_ name: String, _ arguments: [(String, JSONValue)]) -> ModelEvent {
        .toolCall(ToolCall(id: "call_" + RandomID.generate(12), name: name, arguments: .object(arguments)))
    }
}
