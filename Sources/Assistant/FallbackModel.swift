import Foundation
import Logging

/// Tries models in order (`STOA_ASSISTANT`): when one fails before saying anything — down,
/// timed out, 5xx or 429 after its own retries — the next one answers. Once a model has
/// produced output, its failure is final (the partial answer is already on its way).
public struct FallbackModel: ChatModel {
    public let models: [any ChatModel]
    let logger: Logger
    public var name: String { models.map(\.name).joined(separator: "→") }
    /// Any of the models may answer, so the history must suit the one that wants the most.
    public var historyLimit: Int? {
        var limit = 0
        for model in models {
            guard let own = model.historyLimit else { return nil }
            limit = max(limit, own)
        }
        return limit
    }

    public init(_ models: [any ChatModel], logger: Logger) {
        self.models = models
        self.logger = logger
    }

    public func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var lastError: Error? = nil
                for model in models {
                    var produced = false
                    do {
                        for try await event in model.respond(to: conversation, tools: tools, context: context) {
                            produced = true
                            continuation.yield(event)
                        }
                        continuation.finish()
                        return
                    } catch {
                        lastError = error
                        if produced || Task.isCancelled { break }
                        logger.warning("model failed; trying the next one", metadata: ["model": "\(model.name)", "error": "\(error)"])
                    }
                }
                continuation.finish(throwing: lastError ?? ProviderError.upstream(status: 0, message: "no model configured"))
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
