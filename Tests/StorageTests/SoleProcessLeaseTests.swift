import Foundation
import StoaCore
import StoaTestSupport
@testable import Storage
import Synchronization
import Testing

/// The lease that tells a server it is the only Stoa process on its PostgreSQL database
/// (``SoleProcessLease``): a lone server becomes sole, steps down before any other process
/// gets in, takes the database alone again when the other leaves, never shares "sole" with
/// another, survives losing its lease connection, and a server that no longer answers is
/// pushed out rather than blocking the others for ever.
@Suite struct SoleProcessLeaseTests {
    /// Short timings, so a test takes seconds.
    static func take(_ db: PostgresDatabase, _ mode: SoleProcessLease.Mode, waitLimit: Duration = .seconds(120)) async throws -> SoleProcessLease {
        try await SoleProcessLease.take(on: db, mode: mode, soleCheck: .milliseconds(50), retryInterval: .milliseconds(200),
                                        settle: .milliseconds(300), answerTimeout: .seconds(10), waitLimit: waitLimit)
    }

    /// Every change a lease reported, in order.
    final class Changes: Sendable {
        let seen = Mutex<[Bool]>([])
        func record(_ lease: SoleProcessLease) { lease.onChange { value in self.seen.withLock { $0.append(value) } } }
        var last: Bool? { seen.withLock { $0.last } }
    }

    /// Two processes' databases (pools of two) on one fresh test database.
    static func withTwo(_ body: @Sendable (PostgresDatabase, PostgresDatabase) async throws -> Void) async throws {
        try await TestDatabase.with { first in
            let a = try await TestDatabase.postgresHandle(on: first, connections: 2)
            let b = try await TestDatabase.postgresHandle(on: first, connections: 2)
            try await body(a, b)
            await a.close()
            await b.close()
        }
    }

    @Test("a lone server becomes sole after the settle time, and stops being sole when it lets go")
    func loneServerIsSole() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // PostgreSQL's advisory locks only
        try await Self.withTwo { a, _ in
            let lease = try await Self.take(a, .candidate)
            let changes = Changes()
            changes.record(lease)
            #expect(changes.last == false, "sole before the settle time")
            #expect(try await TestDatabase.eventually { lease.isSole })
            #expect(changes.seen.withLock { $0 } == [false, true])
            await lease.release()
            #expect(!lease.isSole)
            #expect(changes.last == false)
        }
    }

    @Test("another process asking to share makes the sole server step down before it gets in; the server is sole again once it leaves")
    func stepsDownForAMember() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await Self.withTwo { a, b in
            let server = try await Self.take(a, .candidate)
            #expect(try await TestDatabase.eventually { server.isSole })
            let changes = Changes()
            changes.record(server)
            let started = ContinuousClock.now
            let member = try await Self.take(b, .member)   // a CLI command, say
            // By the time the member may write, the server has stopped answering from memory.
            #expect(!server.isSole)
            #expect(changes.seen.withLock { $0 } == [true, false])
            #expect(ContinuousClock.now - started < .seconds(60), "the member waited \(ContinuousClock.now - started)")
            #expect(!member.isSole)
            try await Task.sleep(for: .milliseconds(800))
            #expect(!server.isSole, "sole again while the member still holds its share")
            await member.release()
            #expect(try await TestDatabase.eventually { server.isSole })
            await server.release()
        }
    }

    @Test("two servers are never sole at the same time; when one leaves, the other is")
    func twoServers() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await Self.withTwo { a, b in
            let first = try await Self.take(a, .candidate)
            #expect(try await TestDatabase.eventually { first.isSole })
            let second = try await Self.take(b, .candidate)
            #expect(!first.isSole)
            for _ in 0..<30 {
                #expect(!(first.isSole && second.isSole))
                #expect(!first.isSole && !second.isSole, "sole while another server shares the database")
                try await Task.sleep(for: .milliseconds(50))
            }
            await first.release()
            #expect(try await TestDatabase.eventually { second.isSole })
            await second.release()
        }
    }

    @Test("a sole server whose lease connection is ended stops being sole at once, then takes the lease again")
    func lostConnection() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await Self.withTwo { a, control in
            let server = try await Self.take(a, .candidate)
            #expect(try await TestDatabase.eventually { server.isSole })
            let changes = Changes()
            changes.record(server)
            _ = try await control.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()",
                                        [.text(PostgresDatabase.leaseApplicationName)])
            #expect(try await TestDatabase.eventually(3) { changes.last == false }, "still sole after its lease connection was ended")
            #expect(try await TestDatabase.eventually { server.isSole }, "did not take the lease again")
            #expect(changes.seen.withLock { $0 } == [true, false, true])
            await server.release()
        }
    }

    @Test("a process kept waiting by a server that holds the database alone and no longer answers ends that server's lease connection")
    func unresponsiveHolder() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await Self.withTwo { a, b in
            // A session that took the lock alone and then stopped answering (a hung server).
            let pid = Mutex<Int?>(nil)
            let holder = Task {
                try await a.withSession { session in
                    let row = try await session.query("SELECT pg_backend_pid() AS pid WHERE pg_try_advisory_lock(\(SoleProcessLease.keyArguments))", [])
                    pid.withLock { $0 = row.first.flatMap { try? Int($0.int("pid")) } }
                    try await Task.sleep(for: .seconds(60))
                }
            }
            #expect(try await TestDatabase.eventually { pid.withLock { $0 } != nil })
            let started = ContinuousClock.now
            let member = try await PostgresConnectionLossTests.within(20) { try await Self.take(b, .member, waitLimit: .seconds(1)) }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(!member.isSole)
            let holderPID = try #require(pid.withLock { $0 })
            #expect(try await b.query("SELECT 1 FROM pg_stat_activity WHERE pid = ?", [.int(Int64(holderPID))]).isEmpty,
                    "the unresponsive holder's connection is still there")
            holder.cancel()
            _ = try? await holder.value
            await member.release()
        }
    }
}
