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
        let previous = memory.exchanges.isEmpty ? nil : memory.resolvedIntent(at: memory.exchanges.count - 1)
        let said = Utterance(userText)?.lower ?? []
        // "which call?" … "my dad": a short answer that names one of the tasks offered.
        if let pending = memory.pending, !pending.candidates.isEmpty, case .act(let action, _) = pending.intent,
           userText.split(separator: " ").count <= 4, Self.isAnswer(intent) {
            let words = said.filter { Reader.isContent($0) }
            if !words.isEmpty, case let full = TaskMatcher.rank(words, in: pending.candidates).full, full.count == 1 { intent = .act(action, .tasks(full)) }
        }
        // "add a task" … "pick up my prescription on friday": the answer to "what should it say?" is the title.
        let leadsWithVerb = said.first(where: { !BuiltinModel.filler.contains($0) }).map { Reader.commandVerbs.contains($0) } ?? false
        if previous == .addWhat, ![.addWhat, .greeting, .thanks, .dismiss, .smallTalk].contains(intent), !Self.isRequest(intent) || !leadsWithVerb {
            intent = Self.parseOnce("add " + userText, context: context)
        }
        // "what's the note on the insurance task?" … "change it to compare 4 quotes": the note, not the title.
        if case .act(.update(let change), let target) = intent, let title = change.title, change.due == nil, change.description == nil,
           case .details = previous ?? .unknown, let asked = memory.exchanges.last?.user.lowercased(),
           ["note", "notes", "description", "details"].contains(where: { asked.contains($0) }),
           let raw = Self.textAfterLastTo(userText) {
            intent = .act(.update(TaskChange(description: .some(raw.isEmpty ? title : raw))), target)
        }
        // "what does my tax forms note say" … "clear it, its outdated": the note, not the task.
        if case .act(.delete, let target) = intent, case .details = previous ?? .unknown, let asked = memory.exchanges.last?.user.lowercased(),
           ["note", "notes", "description"].contains(where: { asked.contains($0) }),
           ["clear", "wipe", "empty", "erase"].contains(where: { userText.lowercased().contains($0) }) {
            intent = .act(.update(TaskChange(description: .some(nil))), target)
        }
        // "dentist: dr patel": a change for the one task those words name, else a question for the documents.
        if case .labelled(let words, let change) = intent {
            guard let lookup = records.last(where: { $0.name == AssistantTool.listTasks.name }) else {
                return [Turn(model: self, records: records, memory: memory, context: context).listCall(TaskFilter(status: "all"))]
            }
            if case .array(let all)? = lookup.result["tasks"], case let full = TaskMatcher.rank(words, in: all).full, !full.isEmpty {
                // ("the call should happen on the 25th": two calls, so a question naming both.)
                intent = .act(.update(change), full.count == 1 ? .tasks(full) : .words(words))
            } else {
                intent = .unknown
            }
        }
        if canSearch, intent == .unknown {
            return answerFromDocuments(userText, records: records)
        }
        return Turn(model: self, records: records, memory: memory, context: context).step(intent)
    }

    /// Whether an intent could be a short answer to a question ("my dad" reads as a list of dad's tasks).
    static func isAnswer(_ intent: Intent) -> Bool {
        switch intent {
        case .list, .fragment, .unknown: return true
        default: return false
        }
    }

    /// Whether an intent asks for a change or a list by itself (not an answer to a question).
    static func isRequest(_ intent: Intent) -> Bool {
        switch intent {
        case .act, .add, .list, .many, .undo, .details, .noteOrAdd, .labelled: return true
        default: return false
        }
    }

    /// The text after the last " to " ("change it to compare 4 quotes" → "compare 4 quotes").
    static func textAfterLastTo(_ text: String) -> String? {
        let spaced = text.range(of: " to ", options: [.backwards, .caseInsensitive])
        let colon = text.range(of: " to:", options: [.backwards, .caseInsensitive])
        guard let range = [spaced, colon].compactMap({ $0 }).max(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        return text[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’ .!:").union(.whitespaces))
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
