import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// The PostgreSQL pool opens all its connections at start and keeps them (issue 20: PostgresNIO
/// arms an idle timer, a task group and a sleep, each time a connection above the pool's
/// minimum goes back to it; with minimum = maximum no timer is ever armed).
@Suite struct PostgresPoolTests {
    @Test("a pool of N connections opens all N at start and still has them after use")
    func poolOpensAndKeepsEveryConnection() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // PostgreSQL's pool only
        try await TestDatabase.with { first in
            guard let url = ProcessInfo.processInfo.environment["STOA_TEST_PG_URL"],
                  case .postgres(var settings) = try DatabaseConfiguration.parse(url, dataDirectory: ""),
                  let name = try await first.first("SELECT current_database() AS name")?.string("name") else {
                Issue.record("STOA_TEST_PG_URL is not a PostgreSQL URL"); return
            }
            settings.database = name
            settings.connections = 6
            let backends = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'"
            // The test's own handle opens its pool in the background too: wait (bounded) for it.
            let own = Int64(try #require(first.statistics.maxConnections))
            var before = Int64(0)
            for _ in 0..<200 {
                before = try #require(try await first.first(backends)?.int("n"))
                if before >= own { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(before == own, "the test's own pool has \(before) of its \(own) connections")
            let pool = try await PostgresDatabase.connect(settings, logger: TestDatabase.logger)
            #expect(pool.statistics.maxConnections == 6)
            // Connections open in the background: wait (bounded) for all six.
            var opened = Int64(0)
            for _ in 0..<200 {
                opened = try #require(try await first.first(backends)?.int("n")) - before
                if opened >= 6 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(opened == 6, "the pool opened \(opened) of its 6 connections")
            // Used side by side, then left idle: none closes, none is added.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<24 { group.addTask { _ = try await pool.query("SELECT pg_sleep(0.01)", []) } }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try #require(try await first.first(backends)?.int("n")) - before == 6)
            await pool.close()
        }
    }
}
