import Assistant
import Prometheus

/// A provider's model that records each round's duration and failures under its provider name
/// (`stoa_model_request_duration_seconds`, `stoa_model_errors_total`). ``AppServices`` wraps
/// every provider in one before they go into a ``FallbackModel``, so a fallback shows as an
/// error of the first provider and a round of the next. A round the client abandoned (the
/// consumer went away) is neither timed nor counted as an error.
struct MeasuredModel: ChatModel {
    let base: any ChatModel
    let duration: DurationHistogram
    let errors: Counter

    init(_ base: any ChatModel, provider: String, metrics: StoaMetrics) {
        self.base = base
        let families = metrics.model(provider: provider)
        duration = families.duration
        errors = families.errors
    }

    var name: String { base.name }
    var historyLimit: Int? { base.historyLimit }

    func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
        let base = self.base, duration = self.duration, errors = self.errors
        return AsyncThrowingStream { continuation in
            let task = Task {
                let start = ContinuousClock.now
                do {
                    for try await event in base.respond(to: conversation, tools: tools, context: context) {
                        continuation.yield(event)
                    }
                    duration.record(ContinuousClock.now - start)
                    continuation.finish()
                } catch {
                    if !Task.isCancelled {
                        duration.record(ContinuousClock.now - start)
                        errors.increment()
                    }
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
