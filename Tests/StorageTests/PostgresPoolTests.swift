import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// The PostgreSQL pool opens connections as it needs them, never more than its size
/// (`STOA_DATABASE_CONNECTIONS`). Its minimum is 0: PostgresNIO's pool traps when it holds fewer
/// connections than its minimum and a request needs a new one (`PostgresConnectionLossTests`).
@Suite struct PostgresPoolTests {
    @Test("a pool of N connections opens them as needed and never more than N")
    func poolOpensOnDemandWithinItsSize() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // PostgreSQL's pool only
        try await TestDatabase.with { first in
            guard let url = ProcessInfo.processInfo.environment["STOA_TEST_PG_URL"],
                  case .postgres(let admin) = try DatabaseConfiguration.parse(url, dataDirectory: ""),
                  let name = try await first.first("SELECT current_database() AS name")?.string("name") else {
                Issue.record("STOA_TEST_PG_URL is not a PostgreSQL URL"); return
            }
            // Counted from a pool on another database, so the count does not include the counter.
            let control = try await PostgresDatabase.connect(admin, maxConnections: 2, logger: TestDatabase.logger)
            let backends = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = ? AND backend_type = 'client backend'"
            var settings = admin
            settings.database = name
            settings.connections = 6
            let before = try #require(try await control.first(backends, name)?.int("n"))
            let pool = try await PostgresDatabase.connect(settings, logger: TestDatabase.logger)
            #expect(pool.statistics.maxConnections == 6)
            // At start only the connection that checked PostgreSQL answers is open.
            let atStart = try #require(try await control.first(backends, name)?.int("n")) - before
            #expect(atStart >= 1 && atStart <= 2, "the pool opened \(atStart) connections at start")
            // Forty-eight statements side by side, each holding its connection for 20 ms, while
            // the count is sampled: the pool grows to serve them and never past six.
            let most = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<48 { group.addTask { _ = try await pool.query("SELECT pg_sleep(0.02)", []); return 0 } }
                group.addTask {
                    var most = Int64(0)
                    for _ in 0..<20 {
                        most = max(most, try #require(try await control.first(backends, name)?.int("n")) - before)
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    return most
                }
                return try await group.reduce(0, max)
            }
            #expect(most > 1 && most <= 6, "at most \(most) connections were open")
            try await Task.sleep(for: .milliseconds(200))
            let after = try #require(try await control.first(backends, name)?.int("n")) - before
            #expect(after >= 1 && after <= 6, "\(after) connections stay open")
            await pool.close()
            await control.close()
        }
    }
}
