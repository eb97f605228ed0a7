import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// The PostgreSQL pools keep all their connections (`STOA_DATABASE_CONNECTIONS`): each is
/// leased once from PostgresNIO's pool, whose own minimum is 0 (with a minimum above 0 it traps
/// after reconnects fail: `PostgresConnectionLossTests`), and held (`KeptConnections`).
@Suite struct PostgresPoolTests {
    @Test("a pool of N connections opens all N at start, keeps them, and never uses more")
    func poolKeepsItsConnections() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // PostgreSQL's pool only
        try await TestDatabase.with { first in
            guard let url = ProcessInfo.processInfo.environment["STOA_TEST_PG_URL"],
                  case .postgres(let admin) = try DatabaseConfiguration.parse(url, dataDirectory: ""),
                  let name = try await first.first("SELECT current_database() AS name")?.string("name") else {
                Issue.record("STOA_TEST_PG_URL is not a PostgreSQL URL"); return
            }
            // Counted from a pool on another database, so the count does not include the counter.
            let control = try await PostgresDatabase.connect(admin, maxConnections: 2, logger: TestDatabase.logger)
            // The pools' connections only (the availability monitor's probe has a name of its own).
            let backends = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = ? AND application_name = '\(PostgresDatabase.applicationName)'"
            // The test's own handle keeps its connections too: wait (bounded) for them.
            let own = Int64(try #require(first.statistics.maxConnections))
            var before = Int64(0)
            for _ in 0..<200 {
                before = try #require(try await control.first(backends, name)?.int("n"))
                if before >= own { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            var settings = admin
            settings.database = name
            settings.connections = 6
            let pool = try await PostgresDatabase.connect(settings, logger: TestDatabase.logger)
            #expect(pool.statistics.maxConnections == 6)
            // Connections open in the background: wait (bounded) for all six.
            var opened = Int64(0)
            for _ in 0..<200 {
                opened = try #require(try await control.first(backends, name)?.int("n")) - before
                if opened >= 6 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(opened == 6, "the pool opened \(opened) of its 6 connections")
            // Forty-eight statements side by side, each holding its connection for 20 ms: they
            // ran on at most six connections (server process ids).
            let pids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<48 {
                    group.addTask { try #require(try await pool.first("SELECT pg_backend_pid() AS pid FROM pg_sleep(0.02)")?.int("pid")) }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(pids.count > 1 && pids.count <= 6, "the statements ran on \(pids.count) connections")
            // Left idle, none closes.
            try await Task.sleep(for: .milliseconds(200))
            let after = try #require(try await control.first(backends, name)?.int("n")) - before
            #expect(after >= 6, "\(after) of the 6 connections stay open")
            await pool.close()
            await control.close()
        }
    }
}
