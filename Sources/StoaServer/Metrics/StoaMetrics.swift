import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// Stoa's Prometheus metrics: every family is made once, here, in one injected registry, and
/// controllers keep the counters they record into (no lookup by name on a request).
///
/// Label values are bounded by construction: route patterns (never paths), a fixed set of
/// methods, the statuses the server answers with, fixed outcome names and provider names.
/// Gauges that are cheap to read (open connections, MCP sessions, the hashing queue, the
/// database) are read by samplers when `/metrics` is scraped, not kept up to date per request.
///
/// `stoa serve` makes one per process over the registry it also bootstraps swift-metrics with;
/// tests make their own (each with a fresh registry), so nothing global is touched twice.
public final class StoaMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let http: HTTPMetrics
    let signIns: SignInCounters
    let chatTurns: ChatTurnCounters
    private let samplers = Mutex<[@Sendable () async -> Void]>([])
    private let listener = Mutex<Int?>(nil)

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        http = HTTPMetrics(registry: registry)
        signIns = SignInCounters(registry: registry)
        chatTurns = ChatTurnCounters(registry: registry)
    }

    /// The Prometheus text exposition format, after the samplers have read their gauges.
    public func render() async -> String {
        for sample in samplers.withLock({ $0 }) { await sample() }
        return registry.emitToString()
    }

    /// Adds a reading taken at every scrape (gauges of things that already count themselves).
    func addSampler(_ sample: @escaping @Sendable () async -> Void) {
        samplers.withLock { $0.append(sample) }
    }

    /// The port the separate metrics listener (`STOA_METRICS_PORT`) bound, once it runs.
    public var listenerPort: Int? {
        get { listener.withLock { $0 } }
    }

    func listenerStarted(port: Int?) { listener.withLock { $0 = port } }

    // MARK: Families made on demand (bounded keys; made at start-up by the controllers)

    static let rateLimitHelp = "Requests refused by a rate limit, by rule (auth: Better Auth's per-IP rules; user_turns: STOA_USER_RATE_LIMIT) and route pattern."

    /// The refusal counter of one rate-limit rule on one route pattern.
    func rateLimitRefusals(rule: String, route: String) -> Counter {
        registry.counter("stoa_rate_limit_refusals_total", help: Self.rateLimitHelp, labels: [("rule", rule), ("route", route)])
    }

    static let modelDurationHelp = "Time of one model round (request to end of its stream), by provider."
    static let modelErrorsHelp = "Model rounds that failed (down, timed out, 5xx, 429 after retries), by provider."

    /// Latency and error families of one provider (`openai`, `gemini`, `builtin`).
    func model(provider: String) -> (duration: DurationHistogram, errors: Counter) {
        (registry.durationHistogram("stoa_model_request_duration_seconds", help: Self.modelDurationHelp, labels: [("provider", provider)], buckets: Self.modelBuckets),
         registry.counter("stoa_model_errors_total", help: Self.modelErrorsHelp, labels: [("provider", provider)]))
    }

    static let modelBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]
}

/// `stoa_sign_ins_total{outcome}`: every outcome is made up front, so a scrape shows zeros too.
struct SignInCounters: Sendable {
    /// How a `POST /api/auth/sign-in/email` ended.
    enum Outcome: String, CaseIterable, Sendable {
        case success
        /// Unknown email, no password account or a wrong password (never told apart).
        case invalidCredentials = "invalid_credentials"
        /// Refused by the rate limit before the password was looked at.
        case rateLimited = "rate_limited"
        /// A malformed request: missing fields, an invalid email, a bad body.
        case invalidRequest = "invalid_request"
        /// The password-hashing queue was full (503).
        case busy
        /// Anything else (database down, …).
        case error
    }

    let counters: [Outcome: Counter]

    init(registry: PrometheusCollectorRegistry) {
        var counters: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            counters[outcome] = registry.counter("stoa_sign_ins_total", help: "Email and password sign-ins, by outcome.", labels: [("outcome", outcome.rawValue)])
        }
        self.counters = counters
    }

    func record(_ outcome: Outcome) { counters[outcome]?.increment() }
}

/// `stoa_chat_turns_total{outcome}`: turns of `/api/conversations/{id}/messages`, `/api/chat`
/// and `/api/ask-selection`.
struct ChatTurnCounters: Sendable {
    enum Outcome: String, CaseIterable, Sendable {
        /// The assistant answered and the reply was saved.
        case ok
        /// The model failed (the user's message is saved; 502 or an SSE `error`).
        case upstreamError = "upstream_error"
        /// Refused by the per-user turn limit (429).
        case rateLimited = "rate_limited"
        /// The client went away while the reply streamed (what was said is saved as truncated).
        case disconnected
    }

    let counters: [Outcome: Counter]

    init(registry: PrometheusCollectorRegistry) {
        var counters: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            counters[outcome] = registry.counter("stoa_chat_turns_total", help: "Chat turns, by outcome.", labels: [("outcome", outcome.rawValue)])
        }
        self.counters = counters
    }

    func record(_ outcome: Outcome) { counters[outcome]?.increment() }
}

extension SignInCounters.Outcome {
    /// The outcome of a sign-in that was answered with `status`.
    init(status: Int) {
        switch status {
        case 200..<400: self = .success
        case 401: self = .invalidCredentials
        case 429: self = .rateLimited
        case 503: self = .busy
        case 400..<500: self = .invalidRequest
        default: self = .error
        }
    }

    /// The outcome of a sign-in that threw `error` (before ``ErrorMiddleware`` answers it).
    init(error: Error) {
        let status = (error as? StoaError)?.status ?? StoaError.from(domain: error)?.status
            ?? (error as? HTTPResponseError).map { Int($0.status.code) } ?? 500
        self.init(status: status)
    }
}
