import Foundation
import Identity
import Logging
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// Two processes on one database: what one changes, the other must stop using. On PostgreSQL
/// the change is announced (`NOTIFY`) and heard within a second; SQLite has no such channel,
/// and the cache age bounds staleness there (documented in the README).
@Suite struct ReplicaChangeTests {
    /// Polls `condition` every 20 ms for at most `limit`; returns how long it took, or nil.
    static func within(_ limit: Duration, _ condition: @Sendable () async throws -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Starts `database`'s change listener (if it has one) with `handler`, waits until it listens.
    static func listening(_ database: any Database, _ handler: @escaping @Sendable (DatabaseChange?) async -> Void) async -> Task<Void, Never>? {
        guard let feed = database as? any DatabaseChangeListening else { return nil }
        let (ready, signal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            await feed.listenForChanges { change in
                if change == nil { signal.yield() }
                await handler(change)
            }
        }
        for await _ in ready { break }
        return task
    }

    @Test("a session revoked through one replica stops working on the other within a second (PostgreSQL)")
    func revocation() async throws {
        try await TestDatabase.withTwoHandles { one, two in
            let storeOne = SQLAuthStore(database: one, sessionCacheAge: .seconds(60))
            let storeTwo = SQLAuthStore(database: two, sessionCacheAge: .seconds(60))
            let (user, sessions) = try await SessionCacheTests.seed(storeOne, sessions: 3)
            for session in sessions { #expect(try await storeTwo.session(id: session.id) == session) }   // cached on two
            let listener = await Self.listening(two) { storeTwo.forget($0) }
            defer { listener?.cancel() }

            try await storeOne.deleteSession(token: sessions[0].token)
            try await storeOne.deleteSessions(userID: user.id, except: sessions[2].token)
            if TestDatabase.dialect == .postgres {
                #expect(listener != nil)
                let took = try await Self.within(.seconds(1)) { try await storeTwo.session(id: sessions[1].id) == nil }
                #expect(took != nil, "replica two still accepted a revoked session after 1 s")
                #expect(try await storeTwo.session(id: sessions[0].id) == nil)
                #expect(try await storeTwo.session(id: sessions[2].id) == sessions[2])
            } else {
                // SQLite: no notifications; the copy lives out the cache age (STOA_SESSION_CACHE_AGE).
                #expect(listener == nil)
                #expect(try await storeTwo.session(id: sessions[1].id) == sessions[1])
            }
        }
    }

    @Test("a profile change on one replica reaches the other's /api/me cache within a second (PostgreSQL)")
    func profile() async throws {
        try await TestDatabase.withTwoHandles { one, two in
            let storeOne = SQLAuthStore(database: one, sessionCacheAge: .seconds(60))
            let storeTwo = SQLAuthStore(database: two, sessionCacheAge: .seconds(60))
            let (user, _) = try await SessionCacheTests.seed(storeOne, sessions: 0)
            #expect(try await storeTwo.user(id: user.id)?.name == "Ada")
            let listener = await Self.listening(two) { storeTwo.forget($0) }
            defer { listener?.cancel() }
            _ = try await storeOne.updateUser(id: user.id, name: "Grace", image: nil, at: Date())
            guard TestDatabase.dialect == .postgres else { return }
            let took = try await Self.within(.seconds(1)) { try await storeTwo.user(id: user.id)?.name == "Grace" }
            #expect(took != nil)
        }
    }

    @Test("a key rotated by one process signs on the other within a second; a rotation is one transaction (PostgreSQL)")
    func rotation() async throws {
        try await TestDatabase.withTwoHandles { one, two in
            let clock = SystemClock()
            let logger = TestDatabase.logger
            let secrets = ["replica-test-secret-0123456789012345678901"]
            let ringOne = KeyRing(store: JWKSStore(database: one), secrets: secrets, settings: .init(), clock: clock, logger: logger)
            let ringTwo = KeyRing(store: JWKSStore(database: two), secrets: secrets, settings: .init(), clock: clock, logger: logger)
            let first = try await ringOne.signingKey()
            #expect(try await ringTwo.signingKey().kid == first.kid)
            let listener = await Self.listening(two) { change in
                if change == .keys || change == nil { await ringTwo.forget() }
            }
            defer { listener?.cancel() }

            let second = try await ringOne.rotate()
            #expect(second.kid != first.kid)
            // One live key at every moment: the old one retired in the same transaction the new one appeared.
            let live = try await ringOne.allKeys().filter { $0.isLive(at: Date()) }
            #expect(live.map(\.kid) == [second.kid])
            guard TestDatabase.dialect == .postgres else { return }
            let took = try await Self.within(.seconds(1)) { try await ringTwo.signingKey().kid == second.kid }
            #expect(took != nil, "replica two still signed with the old key after 1 s")
            // Replica two never minted a key of its own while catching up.
            #expect(try await ringOne.allKeys().count == 2)
        }
    }

    @Test("a verified or changed email reaches the other replica's user cache within a second (PostgreSQL)")
    func emailChanges() async throws {
        try await TestDatabase.withTwoHandles { one, two in
            let storeOne = SQLAuthStore(database: one, sessionCacheAge: .seconds(60))
            let storeTwo = SQLAuthStore(database: two, sessionCacheAge: .seconds(60))
            let (user, _) = try await SessionCacheTests.seed(storeOne, sessions: 0)
            #expect(try await storeTwo.user(id: user.id)?.emailVerified == false)   // cached on two
            let listener = await Self.listening(two) { storeTwo.forget($0) }
            defer { listener?.cancel() }
            _ = try await storeOne.markEmailVerified(userID: user.id, at: Date(), event: nil)
            #expect(try await storeOne.user(id: user.id)?.emailVerified == true, "the writer's own cache is cleared at once")
            let newEmail = "changed-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            _ = try await storeOne.changeEmail(userID: user.id, from: user.email, to: newEmail, verified: true, at: Date(), event: nil, mail: nil)
            if TestDatabase.dialect == .postgres {
                let took = try await Self.within(.seconds(1)) { try await storeTwo.user(id: user.id)?.email == newEmail }
                #expect(took != nil, "replica two still had the old email after 1 s")
            } else {
                #expect(try await storeTwo.user(id: user.id)?.email == user.email, "SQLite: the copy lives out the cache age")
            }
        }
    }
}
