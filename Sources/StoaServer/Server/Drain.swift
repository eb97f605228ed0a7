import ServiceLifecycle
import Synchronization

/// Whether the server is shutting down: set the moment SIGTERM (or SIGINT) arrives, before
/// the listener closes, so `/readyz` answers 503 and a load balancer stops sending new work
/// while requests in flight finish.
public final class Drain: Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    /// True once shutdown has begun.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Marks the server as shutting down.
    public func begin() { draining.store(true, ordering: .relaxed) }
}

/// The service that turns ``Drain`` on. Put it *after* the application in the service group:
/// graceful shutdown runs in reverse order, so it is told first and the application, which
/// then stops accepting connections and waits for requests in flight, second.
public struct DrainOnShutdown: Service {
    let drain: Drain

    public init(_ drain: Drain) { self.drain = drain }

    public func run() async throws {
        // Returns when graceful shutdown starts (or the task is cancelled).
        try? await gracefulShutdown()
        drain.begin()
    }
}
