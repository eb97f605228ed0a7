import Foundation
import Identity
import Logging
import ServiceLifecycle
import StoaCore

/// Deletes audit rows older than `STOA_AUDIT_RETENTION_DAYS`: once at start, then every
/// ``interval``, in bounded batches. Runs in the roles that serve auth (they write the rows);
/// several replicas running it at once only repeat each other's deletes.
public struct AuditRetention: Service {
    let events: AuthEventStore
    /// Rows older than this many days go; must be positive (0 means "keep forever": no service).
    let days: Int
    let interval: Duration
    let batch: Int
    let clock: any StoaClock
    let logger: Logger

    public init(events: AuthEventStore, days: Int, interval: Duration = .seconds(3600), batch: Int = 1000, clock: any StoaClock, logger: Logger) {
        self.events = events
        self.days = days
        self.interval = interval
        self.batch = batch
        self.clock = clock
        self.logger = logger
    }

    /// Deletes what is past retention now; returns how many rows went. Failures are logged (the
    /// next sweep tries again), never thrown.
    @discardableResult
    public func sweep() async -> Int {
        let cutoff = clock.now().addingTimeInterval(-TimeInterval(days) * 86_400)
        do {
            let deleted = try await events.deleteOlder(than: cutoff, batch: batch)
            if deleted > 0 { logger.info("audit retention removed old rows", metadata: ["rows": "\(deleted)", "days": "\(days)"]) }
            return deleted
        } catch {
            logger.warning("audit retention failed; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return 0
        }
    }

    public func run() async throws {
        let interval = self.interval
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try await Task.sleep(for: interval)
            }
        }
    }
}
