import Foundation
import Identity
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// `SQLAuthStore.session(id:)` answers from a short-lived cache (the JWT `sid` check); a
/// deletion through the same store must take effect at once.
@Suite struct SessionCacheTests {
    static func seed(_ store: SQLAuthStore, sessions: Int) async throws -> (User, [Session]) {
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded())
        let user = User(id: UUID().uuidString, name: "Ada", email: "ada-\(UUID().uuidString.prefix(8))@example.com", emailVerified: false,
                        image: nil, createdAt: now, updatedAt: now)
        try await store.createUser(user, account: Account(id: UUID().uuidString, accountId: user.id, providerId: "credential", issuer: "",
                                                          userId: user.id, password: "x", createdAt: now, updatedAt: now))
        var created: [Session] = []
        for _ in 0..<sessions {
            let session = Session(id: UUID().uuidString, expiresAt: now.addingTimeInterval(3600), token: UUID().uuidString, createdAt: now,
                                  updatedAt: now, ipAddress: nil, userAgent: nil, userId: user.id)
            try await store.createSession(session)
            created.append(session)
        }
        return (user, created)
    }

    @Test("deletions through the store are seen at once; other writers within the cache age") func revocation() async throws {
        try await TestDatabase.with { db in
            let cached = SQLAuthStore(database: db, sessionCacheAge: .seconds(60))
            let uncached = SQLAuthStore(database: db)
            let (user, sessions) = try await Self.seed(cached, sessions: 4)
            for session in sessions { #expect(try await cached.session(id: session.id) == session) }

            // Each kind of deletion through the caching store: the next lookup misses.
            try await cached.deleteSession(token: sessions[0].token)
            let afterLogout = try await cached.session(id: sessions[0].id)
            #expect(afterLogout == nil)
            try await cached.deleteSession(token: sessions[1].token, userID: user.id)
            let afterRevoke = try await cached.session(id: sessions[1].id)
            #expect(afterRevoke == nil)
            try await cached.deleteSessions(userID: user.id, except: sessions[3].token)
            let afterOthers = try await cached.session(id: sessions[2].id)
            #expect(afterOthers == nil)
            let kept = try await cached.session(id: sessions[3].id)
            #expect(kept == sessions[3])

            // Another writer (another replica, the CLI): the cache answers until its age passes —
            // which is why the age is seconds, and why zero turns it off.
            try await uncached.deleteSession(token: sessions[3].token)
            let stale = try await cached.session(id: sessions[3].id)
            #expect(stale == sessions[3])
            let fresh = try await uncached.session(id: sessions[3].id)
            #expect(fresh == nil)

            // Deleting the user empties the cache too.
            let (other, more) = try await Self.seed(cached, sessions: 1)
            #expect(try await cached.session(id: more[0].id) == more[0])
            try await cached.deleteUser(id: other.id)
            let afterDelete = try await cached.session(id: more[0].id)
            #expect(afterDelete == nil)
        }
    }

    @Test("an entry older than the cache age is read again") func expiry() async throws {
        try await TestDatabase.with { db in
            let cached = SQLAuthStore(database: db, sessionCacheAge: .milliseconds(200))
            let other = SQLAuthStore(database: db)
            let (_, sessions) = try await Self.seed(cached, sessions: 1)
            #expect(try await cached.session(id: sessions[0].id) == sessions[0])
            try await other.deleteSession(token: sessions[0].token)
            try await Task.sleep(for: .milliseconds(300))
            let reread = try await cached.session(id: sessions[0].id)
            #expect(reread == nil)
        }
    }
}
