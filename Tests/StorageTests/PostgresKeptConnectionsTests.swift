import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Synchronization
import Testing

/// The PostgreSQL pools keep every connection (leased once from PostgresNIO's pool and held):
/// a request that finds them all in use waits for the next one given back, a cancelled wait
/// takes nothing with it, and closing the database fails the waits at once.
@Suite struct PostgresKeptConnectionsTests {
    /// Opens when told to; everyone waiting passes then.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state in
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }
        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    /// A pool of `size` connections on the test's database.
    static func pool(on first: any Database, size: Int) async throws -> PostgresDatabase {
        try await TestDatabase.postgresHandle(on: first, connections: size)
    }

    /// Holds every connection of `db` (`count` sessions side by side) until `gate` opens;
    /// returns once all are held.
    static func holdAll(_ db: PostgresDatabase, count: Int, until gate: Gate) async -> Task<Void, any Error> {
        let (held, signal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        try await db.withSession { session in
                            _ = try await session.query("SELECT 1", [])
                            signal.yield()
                            await gate.wait()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var seen = 0
        for await _ in held {
            seen += 1
            if seen == count { break }
        }
        return task
    }

    /// Runs `body` with a pool of four connections on a fresh database, each held by a session
    /// until `gate` opens (`holders` ends once they are given back).
    static func withEveryConnectionHeld(
        _ body: @Sendable (_ db: PostgresDatabase, _ size: Int, _ gate: Gate, _ holders: Task<Void, any Error>) async throws -> Void
    ) async throws {
        try await TestDatabase.with { first in
            let db = try await pool(on: first, size: 4)
            let size = try #require(db.statistics.maxConnections)
            let gate = Gate()
            try await body(db, size, gate, await holdAll(db, count: size, until: gate))
        }
    }

    @Test("with every connection in use a query waits, and runs as soon as one is given back")
    func waitsForAConnection() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // PostgreSQL's pools only
        try await Self.withEveryConnectionHeld { db, size, gate, holders in
            let done = OnceFlag()
            let waiting = Task {
                let one = try await db.first("SELECT 1 AS one")?.int("one")
                _ = done.claim()
                return one
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(done.claim(), "a query ran while every connection was held")
            gate.open()
            #expect(try await waiting.value == 1)
            try await holders.value
            await db.close()
        }
    }

    @Test("a cancelled wait for a connection ends at once and keeps none of them")
    func cancelledWaitKeepsNothing() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await Self.withEveryConnectionHeld { db, size, gate, holders in
            let waiting = (0..<6).map { _ in Task { try await db.first("SELECT 1 AS one") } }
            try await Task.sleep(for: .milliseconds(200))
            let cancelled = ContinuousClock.now
            for task in waiting { task.cancel() }
            for task in waiting { await #expect(throws: (any Error).self) { _ = try await task.value } }
            #expect(ContinuousClock.now - cancelled < .seconds(2))
            gate.open()
            try await holders.value
            // Every connection came back: all can be held side by side again.
            let again = Gate()
            let holdersAgain = try await PostgresConnectionLossTests.within(30) {
                await Self.holdAll(db, count: size, until: again)
            }
            again.open()
            try await holdersAgain.value
            await db.close()
        }
    }

    @Test("closing the database fails the queries waiting for a connection at once")
    func closeFailsWaiters() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await Self.withEveryConnectionHeld { db, size, gate, holders in
            let waiting = Task { () -> String in
                do {
                    _ = try await db.first("SELECT 1 AS one")
                    return "answered"
                } catch DatabaseError.unavailable {
                    return "unavailable"
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            let closing = Task { await db.close() }
            let outcome = try await PostgresConnectionLossTests.within(5) { try await waiting.value }
            #expect(outcome == "unavailable")
            gate.open()
            try await holders.value
            try await PostgresConnectionLossTests.within(30) { await closing.value }
        }
    }
}
