import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Synchronization
import Testing

/// PostgreSQL ends a connection (a fast shutdown, a restart, `pg_terminate_backend`) while a
/// request holds it: the request's next statement must fail at once with
/// ``DatabaseError/unavailable`` (HTTP 503), never wait for an answer that cannot come.
/// (PostgresNIO drops a statement written to a connection whose channel is already torn down
/// without failing it; found as a 20 s hang in the e2e database-outage test.)
@Suite struct PostgresConnectionLossTests {
    /// Runs `body` but gives up after `seconds`: a hang fails the test instead of stalling it.
    static func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let once = OnceFlag()
            Task {
                do {
                    let value = try await body()
                    if once.claim() { continuation.resume(returning: value) }
                } catch {
                    if once.claim() { continuation.resume(throwing: error) }
                }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                if once.claim() { continuation.resume(throwing: Hung(seconds: seconds)) }
            }
        }
    }

    struct Hung: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "no answer within \(seconds) s: the statement hangs" }
    }

    @Test("a statement after PostgreSQL ended the session's connection fails with 'unavailable', at once")
    func statementAfterTermination() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // PostgreSQL's connection handling only
        try await TestDatabase.with { db in
            let started = ContinuousClock.now
            let outcome: String = try await Self.within(10) {
                do {
                    try await db.withSession { session in
                        let pid = try await session.first("SELECT pg_backend_pid() AS pid")!.int("pid")
                        _ = try await db.query("SELECT pg_terminate_backend(CAST(? AS integer))", [.int(pid)])
                        try await Task.sleep(for: .milliseconds(300))   // the close has reached the client
                        _ = try await session.query("SELECT 1", [])
                    }
                    return "answered"
                } catch DatabaseError.unavailable {
                    return "unavailable"
                }
            }
            #expect(outcome == "unavailable")
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a transaction whose connection PostgreSQL ended fails with 'unavailable', at once")
    func transactionAfterTermination() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await TestDatabase.with { db in
            let outcome: String = try await Self.within(10) {
                do {
                    try await db.transaction { tx in
                        let pid = try await tx.first("SELECT pg_backend_pid() AS pid")!.int("pid")
                        _ = try await db.query("SELECT pg_terminate_backend(CAST(? AS integer))", [.int(pid)])
                        try await Task.sleep(for: .milliseconds(300))
                        try await tx.execute("SELECT 1")
                    }
                    return "committed"
                } catch DatabaseError.unavailable {
                    return "unavailable"
                }
            }
            #expect(outcome == "unavailable")
            // The database serves the next request on another connection.
            #expect(try await db.first("SELECT 1 AS one")?.int("one") == 1)
        }
    }

    @Test("queries right after PostgreSQL ended every idle connection of the pool answer or fail, never hang")
    func poolAfterTermination() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await TestDatabase.with { db in
            for round in 0..<5 {
                // Connections of the pool, idle between requests, ended by the server; then a burst of
                // queries that the pool lends those connections to as the news of the close arrives.
                // (The killing query may itself get a connection ended in the round before: again.)
                for _ in 0..<5 {
                    do {
                        _ = try await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", [])
                        break
                    } catch DatabaseError.unavailable {}
                }
                // Wide: in CI's loaded PostgreSQL suite this round once took over 10 s.
                let outcomes: [String] = try await Self.within(60) {
                    try await withThrowingTaskGroup(of: String.self) { group in
                        for _ in 0..<8 {
                            group.addTask {
                                do { return try await db.first("SELECT 1 AS one")?.int("one") == 1 ? "answered" : "wrong" } catch DatabaseError.unavailable { return "unavailable" }
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }
                #expect(outcomes.count == 8 && !outcomes.contains("wrong"), "round \(round): \(outcomes)")
            }
        }
    }

    @Test("the pool survives PostgreSQL ending every connection while new ones are refused, under steady load")
    func poolWhileReconnectsFail() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await TestDatabase.with { first in
            guard let url = ProcessInfo.processInfo.environment["STOA_TEST_PG_URL"],
                  case .postgres(let admin) = try DatabaseConfiguration.parse(url, dataDirectory: ""),
                  let name = try await first.first("SELECT current_database() AS name")?.string("name") else {
                Issue.record("STOA_TEST_PG_URL is not a PostgreSQL URL"); return
            }
            var settings = admin
            settings.database = name
            settings.connections = 12
            let control = try await PostgresDatabase.connect(admin, maxConnections: 2, logger: TestDatabase.logger)
            let pool = try await PostgresDatabase.connect(settings, logger: TestDatabase.logger)
            for round in 0..<3 {
                // Sixteen clients query without pause while PostgreSQL ends every connection and,
                // for half a second, refuses new ones: the pool's reconnects fail and back off, then
                // succeed while requests keep coming.
                let outcomes: [String: Int] = try await Self.within(60) {
                    try await withThrowingTaskGroup(of: [String: Int].self) { group in
                        let until = ContinuousClock.now + .seconds(3)
                        for _ in 0..<16 {
                            group.addTask {
                                var seen: [String: Int] = [:]
                                while ContinuousClock.now < until {
                                    do {
                                        let one = try await pool.first("SELECT 1 AS one")?.int("one")
                                        seen[one == 1 ? "answered" : "wrong", default: 0] += 1
                                    } catch DatabaseError.unavailable {
                                        seen["unavailable", default: 0] += 1
                                        try await Task.sleep(for: .milliseconds(20))
                                    }
                                }
                                return seen
                            }
                        }
                        group.addTask {
                            try await Task.sleep(for: .milliseconds(300))
                            try await control.execute("ALTER DATABASE \"\(name)\" ALLOW_CONNECTIONS false")
                            _ = try await control.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?", [.text(name)])
                            try await Task.sleep(for: .milliseconds(500))
                            try await control.execute("ALTER DATABASE \"\(name)\" ALLOW_CONNECTIONS true")
                            return [:]
                        }
                        return try await group.reduce(into: [:]) { total, seen in total.merge(seen, uniquingKeysWith: +) }
                    }
                }
                #expect(outcomes["wrong"] == nil && (outcomes["answered"] ?? 0) > 0, "round \(round): \(outcomes)")
                // After the outage the pool serves many requests at once.
                let burst: [String] = try await Self.within(60) {
                    try await withThrowingTaskGroup(of: String.self) { group in
                        for _ in 0..<16 {
                            group.addTask {
                                do { return try await pool.first("SELECT 1 AS one FROM pg_sleep(0.02)")?.int("one") == 1 ? "answered" : "wrong" } catch DatabaseError.unavailable { return "unavailable" }
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }
                #expect(burst == Array(repeating: "answered", count: 16), "round \(round): \(burst)")
            }
            await pool.close()
            await control.close()
        }
    }
}

/// True for the first caller of ``claim()`` only.
final class OnceFlag: Sendable {
    private let claimed = Mutex(false)
    func claim() -> Bool { claimed.withLock { was in defer { was = true }; return !was } }
}
