import Foundation
import StoaCore

/// What the assistant does while answering, in order: text pieces and tool runs, then the end.
public enum AssistantEvent: Sendable {
    case delta(String)
    case tool(ToolRecord)
}

/// The tool loop: asks the model, runs the tools it calls as the signed-in user, feeds the
/// results back, and repeats (at most `maxRounds`) until the model answers with text only.
public struct AssistantEngine: Sendable {
    public static let maxRounds = 8
    public static let systemPrompt = """
        You are Stoa, a helpful assistant with access to the user's task list through tools. \
        Use the tools to add, list, complete, update and delete tasks when the user asks. \
        Refer to tasks by their titles. Be brief and friendly.
        """

    /// Grounding rules for the document tool, added when it is available.
    public static let documentsPrompt = """
         For questions that the documentation may answer, call search_documents first and answer from the passages \
        it returns, citing them by number like [1]; say so when they do not contain the answer.
        """

    var systemPrompt: String {
        definitions.contains { $0.name == AssistantTool.searchDocuments.name } ? Self.systemPrompt + Self.documentsPrompt : Self.systemPrompt
    }

    let model: any ChatModel
    let tools: UserToolbox
    let definitions: [AssistantTool]

    public init(model: any ChatModel, tools: UserToolbox) {
        self.model = model
        self.tools = tools
        self.definitions = tools.tools
    }

    /// Runs one assistant turn over `history` (oldest first, ending with the user's message) as
    /// a stream of its events (server-sent events; ending the stream cancels the turn).
    public func run(history: [ChatTurn], context: ModelContext) -> AsyncThrowingStream<AssistantEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await run(history: history, context: context) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs one assistant turn, handing each event to `emit` as it happens: what a caller that
    /// wants the whole answer uses (no stream, no task of its own; issue 20). Events emitted
    /// before a failure stay emitted.
    public func run(history: [ChatTurn], context: ModelContext, emit: (AssistantEvent) -> Void) async throws {
        var conversation = [ChatTurn(role: .system, content: systemPrompt)] + history
        for _ in 0..<Self.maxRounds {
            var calls: [ToolCall] = []
            var text = ""
            for try await event in model.respond(to: conversation, tools: definitions, context: context) {
                try Task.checkCancellation()
                switch event {
                case .textDelta(let piece):
                    text += piece
                    emit(.delta(piece))
                case .toolCall(let call):
                    calls.append(call)
                }
            }
            if calls.isEmpty { break }
            var records: [ToolRecord] = []
            for call in calls {
                try Task.checkCancellation()
                let result = try await tools.run(call.name, arguments: call.arguments)
                let record = ToolRecord(id: call.id, name: call.name, arguments: call.arguments, result: result)
                records.append(record)
                emit(.tool(record))
            }
            conversation.append(ChatTurn(role: .assistant, content: text, toolRecords: records))
            for record in records {
                conversation.append(ChatTurn(role: .tool, content: record.result.serialized, toolCallID: record.id))
            }
        }
    }
}
