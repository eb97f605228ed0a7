import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import Synchronization

/// `stoa_http_requests_total` and `stoa_http_request_duration_seconds`, by route pattern,
/// method and status. The pair for one label set is made the first time it is seen and kept in
/// a table, so a request costs one short lock and a dictionary lookup, never a registry lookup.
/// The table cannot grow without bound: routes are the router's patterns (`NotFound` for every
/// unknown path), methods a fixed list (anything else is `OTHER`), statuses what Stoa answers.
final class HTTPMetrics: Sendable {
    struct Key: Hashable, Sendable {
        let route: String
        let method: String
        let status: Int
    }

    struct Series: Sendable {
        let requests: Counter
        let duration: DurationHistogram
    }

    let registry: PrometheusCollectorRegistry
    private let table = Mutex<[Key: Series]>([:])

    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// The label value of a method: itself when it is a standard one, else `OTHER`.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        let raw = method.rawValue
        return methods.contains(raw) ? raw : "OTHER"
    }

    func record(route: String?, method: HTTPRequest.Method, status: Int, duration: Duration) {
        let key = Key(route: route ?? "unmatched", method: Self.methodLabel(method), status: status)
        let series = table.withLock { table -> Series in
            if let series = table[key] { return series }
            let labels = [("route", key.route), ("method", key.method), ("status", String(key.status))]
            let series = Series(
                requests: registry.counter("stoa_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.", labels: labels),
                duration: registry.durationHistogram("stoa_http_request_duration_seconds", help: "Time until the response head is ready, by route pattern, method and status (a streamed body is not included).", labels: labels, buckets: Self.buckets))
            table[key] = series
            return series
        }
        series.requests.increment()
        series.duration.record(duration)
    }

    /// Label sets seen so far (for tests: hostile paths must not add any).
    var seriesCount: Int { table.withLock { $0.count } }
}

/// Records every request the router answers into ``HTTPMetrics``. It is the outermost
/// middleware, so it sees the status the client gets (after ``ErrorMiddleware``); the route is
/// Hummingbird's pattern for the matched endpoint (`/api/conversations/{id}`), read after the
/// router has set it.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(route: context.endpointPath, method: request.method, status: Int(response.status.code), duration: ContinuousClock.now - start)
            return response
        } catch {
            metrics.record(route: context.endpointPath, method: request.method, status: Int((error as? HTTPResponseError)?.status.code ?? 500),
                           duration: ContinuousClock.now - start)
            throw error
        }
    }
}
