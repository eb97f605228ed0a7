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

    /// The intent of one user message.
    enum Intent: Equatable {
        case add(title: String, description: String?, due: Date?)
        case list(status: String, query: String?)
        case complete(Reference)
        case reopen(Reference)
        case rename(Reference, to: String)
        case setDue(Reference, Date?)
        case describe(Reference, String)
        case delete(Reference)
        case help
        case greeting
        case unknown
    }

    /// How the user names a task: by its number in the last list, or by words of its title.
    enum Reference: Equatable {
        case number(Int)
        case words(String)
    }

    func plan(_ conversation: [ChatTurn], context: ModelContext, canSearch: Bool = false) -> [ModelEvent] {
        guard let lastUserIndex = conversation.lastIndex(where: { $0.role == .user }) else { return [.textDelta("How can I help?")] }
        let userText = conversation[lastUserIndex].content
        let intent = Self.parseOnce(userText, context: context)
        // Tool results gathered in this turn so far (after the user's message).
        let turnRecords = conversation[(lastUserIndex + 1)...].flatMap(\.toolRecords)
        let history = Array(conversation[..<lastUserIndex])
        if canSearch, intent == .unknown || intent == .help && userText.count > 40 {
            return answerFromDocuments(userText, records: turnRecords)
        }
        return step(intent, records: turnRecords, history: history)
    }

    // MARK: - Steps

    func step(_ intent: Intent, records: [ToolRecord], history: [ChatTurn]) -> [ModelEvent] {
        let last = records.last
        if let error = last?.result["error"]?.stringValue { return say("Sorry, that didn't work: \(error)") }
        switch intent {
        case .add(let title, let description, let due):
            if let task = last?.result["task"], last?.name == AssistantTool.addTask.name {
                let dueText = task["dueAt"]?.stringValue.flatMap { ISO8601.date(from: $0) }.map { " (due \(Self.day($0)))" } ?? ""
                return say("Added task: \(task["title"]?.stringValue ?? title)\(dueText)")
            }
            var args: [(String, JSONValue)] = [("title", .string(title))]
            if let description { args.append(("description", .string(description))) }
            if let due { args.append(("due_at", .date(due))) }
            return [call(AssistantTool.addTask.name, args)]
        case .list(let status, let query):
            if let last, last.name == AssistantTool.listTasks.name { return say(Self.describeList(last.result, status: status, query: query)) }
            var args: [(String, JSONValue)] = [("status", .string(status))]
            if let query { args.append(("q", .string(query))) }
            return [call(AssistantTool.listTasks.name, args)]
        case .complete(let reference):
            return act(on: reference, records: records, history: history, status: "open") { id in
                call(AssistantTool.completeTask.name, [("task_id", .string(id))])
            } done: { task in "Marked done: \(task["title"]?.stringValue ?? "the task")" }
        case .reopen(let reference):
            return act(on: reference, records: records, history: history, status: "done") { id in
                call(AssistantTool.updateTask.name, [("task_id", .string(id)), ("completed", .bool(false))])
            } done: { task in "Reopened: \(task["title"]?.stringValue ?? "the task")" }
        case .rename(let reference, let title):
            return act(on: reference, records: records, history: history, status: "all") { id in
                call(AssistantTool.updateTask.name, [("task_id", .string(id)), ("title", .string(title))])
            } done: { task in "Renamed to: \(task["title"]?.stringValue ?? title)" }
        case .setDue(let reference, let due):
            return act(on: reference, records: records, history: history, status: "all") { id in
                call(AssistantTool.updateTask.name, [("task_id", .string(id)), ("due_at", due.map(JSONValue.date) ?? .null)])
            } done: { task in
                let when = task["dueAt"]?.stringValue.flatMap { ISO8601.date(from: $0) }.map { "due \(Self.day($0))" } ?? "no due date"
                return "Updated \(task["title"]?.stringValue ?? "the task"): \(when)"
            }
        case .describe(let reference, let text):
            return act(on: reference, records: records, history: history, status: "all") { id in
                call(AssistantTool.updateTask.name, [("task_id", .string(id)), ("description", .string(text))])
            } done: { task in "Updated the notes of \(task["title"]?.stringValue ?? "the task")" }
        case .delete(let reference):
            return act(on: reference, records: records, history: history, status: "all") { id in
                call(AssistantTool.deleteTask.name, [("task_id", .string(id))])
            } done: { _ in "" }
        case .greeting:
            return say("Hello! I can keep your task list: try \"add a task to buy milk\", \"what's on my list\" or \"mark 1 done\".")
        case .help, .unknown:
            return say("""
                I'm the built-in assistant and I only understand task commands, for example: "add a task to buy milk tomorrow", \
                "what's on my list", "show done tasks", "mark 2 done", "reopen 2", "rename 1 to Buy oat milk", "move 1 to Friday", \
                "delete the milk task". Connect a model (OPENAI_API_KEY or GEMINI_API_KEY) for open conversation.
                """)
        }
    }

    /// Resolves a reference to a task id (from the last list shown, or by searching titles),
    /// then runs `make`; after the tool ran, answers with `done`.
    func act(on reference: Reference, records: [ToolRecord], history: [ChatTurn], status: String,
             make: (String) -> ModelEvent, done: (JSONValue) -> String) -> [ModelEvent] {
        if let last = records.last, last.name != AssistantTool.listTasks.name {
            if last.name == AssistantTool.deleteTask.name, let title = last.result["deleted"]?["title"]?.stringValue { return say("Deleted: \(title)") }
            if let task = last.result["task"] { return say(done(task)) }
        }
        switch reference {
        case .number(let n):
            guard let list = Self.lastShownList(history) else {
                return say("I don't know which task \(n) is yet. Ask me to list your tasks first.")
            }
            guard n >= 1, n <= list.count, let id = list[n - 1]["id"]?.stringValue else {
                return say("The last list I showed has \(list.count) task\(list.count == 1 ? "" : "s"); there is no number \(n).")
            }
            return [make(id)]
        case .words(let words):
            if let search = records.last(where: { $0.name == AssistantTool.listTasks.name }) {
                guard case .array(let found)? = search.result["tasks"] else { return say("I couldn't search your tasks.") }
                if found.count == 1, let id = found[0]["id"]?.stringValue { return [make(id)] }
                if found.isEmpty { return say("I couldn't find a task matching \"\(words)\".") }
                let titles = found.prefix(5).enumerated().map { "\($0 + 1). \($1["title"]?.stringValue ?? "")" }.joined(separator: "\n")
                return say("Several tasks match \"\(words)\":\n\(titles)\nWhich one? You can say its number.")
            }
            return [call(AssistantTool.listTasks.name, [("status", .string(status)), ("q", .string(words))])]
        }
    }

    /// The numbered tasks of the most recent list shown to the user.
    static func lastShownList(_ history: [ChatTurn]) -> [JSONValue]? {
        for turn in history.reversed() {
            for record in turn.toolRecords.reversed() where record.name == AssistantTool.listTasks.name {
                if case .array(let tasks)? = record.result["tasks"] { return tasks }
            }
        }
        return nil
    }

    static func describeList(_ result: JSONValue, status: String, query: String?) -> String {
        guard case .array(let tasks)? = result["tasks"] else { return "I couldn't read your tasks." }
        let kind = status == "done" ? "done tasks" : status == "all" ? "tasks" : "open tasks"
        let about = query.map { " matching \"\($0)\"" } ?? ""
        if tasks.isEmpty { return "You have no \(kind)\(about)." }
        let lines = tasks.enumerated().map { index, task -> String in
            let check = task["completed"] == .bool(true) ? "[x]" : "[ ]"
            let due = task["dueAt"]?.stringValue.flatMap { ISO8601.date(from: $0) }.map { " (due \(day($0)))" } ?? ""
            return "\(index + 1). \(check) \(task["title"]?.stringValue ?? "")\(due)"
        }
        return "Your \(kind)\(about):\n" + lines.joined(separator: "\n")
    }

    static func day(_ date: Date) -> String { String(ISO8601.string(from: date).prefix(10)) }

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
