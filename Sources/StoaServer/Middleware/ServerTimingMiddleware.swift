import Foundation
import HTTPTypes
import Hummingbird

/// Adds `Server-Timing: app;dur=<ms>` to every response: Stoa's own time for the request, from
/// routing to the response (for streamed bodies, until the headers are ready). Browsers show
/// it in their developer tools; `scripts/bench` reads it to separate Stoa's time from the client's.
/// Never on `/api/auth/*`: there timings would tell a known email from an unknown one, or a
/// right password from a wrong one.
struct ServerTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/api/auth") { return try await next(request, context) }
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let app = "app;dur=" + (ContinuousClock.now - start).milliseconds.twoDecimals
        // Routes may add their own phases (a chat turn does); `app` goes first.
        response.headers[.serverTiming] = response.headers[.serverTiming].map { app + ", " + $0 } ?? app
        return response
    }
}

/// Durations of the phases of one request, for its `Server-Timing` header.
struct PhaseTimer {
    var last = ContinuousClock.now
    var phases: [(String, Double)] = []

    /// Ends the current phase under `name` and starts the next.
    mutating func end(_ name: String) {
        let now = ContinuousClock.now
        phases.append((name, (now - last).milliseconds))
        last = now
    }

    /// `persist;dur=0.81, context;dur=0.40, …`
    var header: String { phases.map { $0.0 + ";dur=" + $0.1.twoDecimals }.joined(separator: ", ") }
}

extension HTTPField.Name {
    static let serverTiming = HTTPField.Name("Server-Timing")!
}

extension Double {
    /// `0.81`, `12.40`: two decimals, rounded half away from zero, without Foundation's formatter
    /// (this runs on every request).
    var twoDecimals: String {
        guard isFinite else { return "0.00" }
        let hundredths = Int64((abs(self) * 100).rounded())
        let fraction = hundredths % 100
        return (self < 0 && hundredths > 0 ? "-" : "") + String(hundredths / 100) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
