import Foundation
import Logging
import PostgresNIO

extension PostgresDatabase: DatabaseChangeListening {
    /// Holds one kept connection with `LISTEN stoa_changes` for as long as the task runs.
    /// When the connection is lost (a restart, a failover, a network cut) it reconnects after
    /// a short pause (at most 2 s) and reports `nil`, because notifications sent meanwhile are
    /// lost.
    public func listenForChanges(_ handler: @escaping @Sendable (DatabaseChange?) async -> Void) async {
        var pause = Duration.milliseconds(100)
        var warned = false
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await withConnection { connection in
                    try await connection.listen(on: DatabaseChange.channel) { notifications in
                        self.logger.debug("listening for changes from other processes", metadata: ["channel": "\(DatabaseChange.channel)"])
                        await handler(nil)
                        for try await notification in notifications {
                            await handler(DatabaseChange(rawValue: notification.payload))
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                if ContinuousClock.now - started > .seconds(10) { warned = false }   // a new loss, not a retry
                // Once per loss, not once per retry while PostgreSQL is away.
                logger.log(level: warned ? .debug : .warning, "lost the change notifications from PostgreSQL; reconnecting",
                           metadata: ["error": "\(PostgresDatabase.describe(error))"])
                warned = true
            }
            // A connection that held for a while starts the back-off again.
            pause = ContinuousClock.now - started > .seconds(10) ? .milliseconds(100) : min(pause * 2, .seconds(2))
            try? await Task.sleep(for: pause)
        }
    }
}
