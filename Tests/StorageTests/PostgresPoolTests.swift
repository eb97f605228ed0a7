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
            // At start only the connection that checked PostgreSQL answers is open (the
            // availability monitor may add a probe of its own when the machine is slow).
            let atStart = try #require(try await control.first(backends, name)?.int("n")) - before
            #expect(atStart >= 1 && atStart <= 3, "the pool opened \(atStart) connections at start")
            // Forty-eight statements side by side, each holding its connection for 20 ms: the pool
            // grows to serve them, and they ran on at most six connections (server process ids).
            let pids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<48 {
                    group.addTask { try #require(try await pool.first("SELECT pg_backend_pid() AS pid FROM pg_sleep(0.02)")?.int("pid")) }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(pids.count > 1 && pids.count <= 6, "the statements ran on \(pids.count) connections")
            await pool.close()
            await control.close()
        }
    }
}
