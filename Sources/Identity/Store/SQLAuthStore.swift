import Foundation
import StoaCore
import Storage

/// ``AuthStore`` over Better Auth's tables, in SQLite or PostgreSQL.
public struct SQLAuthStore: AuthStore {
    let db: any Database
    let recentSessions: RecentSessions
    let recentUsers: RecentUsers

    /// - Parameter sessionCacheAge: how long ``session(id:)`` and ``user(id:)`` may answer from memory
    ///   (zero: never). Changes through this store take effect at once; other processes' within this age.
    public init(database: any Database, sessionCacheAge: Duration = .zero) {
        db = database
        recentSessions = RecentSessions(maxAge: sessionCacheAge)
        recentUsers = RecentUsers(maxAge: sessionCacheAge)
    }

    public static let userColumns = #""id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt""#

    /// Runs `change` and records `event` in one transaction; without an event, just `change`.
    @discardableResult
    func write<T: Sendable>(_ event: AuthEvent?, _ change: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        guard let event else { return try await change(db) }
        return try await db.transaction { tx in
            let result = try await change(tx)
            try await AuthEventStore.record(event, on: tx)
            return result
        }
    }

    /// Queues `mail` and records its event on `executor` (the transaction of the change).
    static func queue(_ mail: QueuedMail?, at: Date, on executor: any SQLExecutor) async throws {
        guard let mail else { return }
        try await MailOutbox.enqueue(mail, at: at, on: executor)
        if let event = mail.event { try await AuthEventStore.record(event, on: executor) }
    }

    public func createUser(_ user: User, account: Account, event: AuthEvent?, mail: QueuedMail?) async throws {
        do {
            try await db.transaction { tx in
                try await tx.execute(
                    #"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
                    user.id, user.name, user.email, user.emailVerified, user.image, user.createdAt, user.updatedAt)
                try await tx.execute(
                    #"INSERT INTO "account" ("id", "accountId", "providerId", "issuer", "userId", "password", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
                    account.id, account.accountId, account.providerId, account.issuer, account.userId, account.password, account.createdAt, account.updatedAt)
                if let event { try await AuthEventStore.record(event, on: tx) }
                try await Self.queue(mail, at: user.createdAt, on: tx)
            }
        } catch DatabaseError.uniqueViolation {
            throw AuthStoreError.emailTaken
        }
    }

    public func user(email: String) async throws -> User? {
        try await db.first(#"SELECT \#(Self.userColumns) FROM "user" WHERE "email" = ?"#, email).map(Self.user)
    }

    public func user(id: String) async throws -> User? {
        let ticket: UInt64
        switch recentUsers.lookup(id) {
        case .hit(let user): return user
        case .miss(let t): ticket = t
        }
        let user = try await db.first(#"SELECT \#(Self.userColumns) FROM "user" WHERE "id" = ?"#, id).map(Self.user)
        recentUsers.remember(user, id: id, after: ticket)
        return user
    }

    public func credentialAccount(userID: String) async throws -> Account? {
        try await db.first(
            #"SELECT "id", "accountId", "providerId", "issuer", "userId", "password", "createdAt", "updatedAt" FROM "account" WHERE "userId" = ? AND "providerId" = 'credential'"#,
            userID
        ).map { row in
            Account(id: try row.string("id"), accountId: try row.string("accountId"), providerId: try row.string("providerId"),
                    issuer: row.optionalString("issuer") ?? "local:credential", userId: try row.string("userId"),
                    password: row.optionalString("password"), createdAt: try row.date("createdAt"), updatedAt: try row.date("updatedAt"))
        }
    }

    public func updateUser(id: String, name: String?, image: String??, at: Date, event: AuthEvent?) async throws -> User? {
        var sets: [String] = [#""updatedAt" = ?"#]
        var binds: [DatabaseValue] = [.date(at)]
        if let name { sets.append(#""name" = ?"#); binds.append(.text(name)) }
        if let image { sets.append(#""image" = ?"#); binds.append(.optional(image)) }
        binds.append(.text(id))
        defer { recentUsers.removeAll() }
        let sql = #"UPDATE "user" SET \#(sets.joined(separator: ", ")) WHERE "id" = ? RETURNING \#(Self.userColumns)"#
        let values = binds
        return try await write(event) { tx in
            let user = try await tx.query(sql, values).first.map(Self.user)
            try await tx.announce(.users)
            return user
        }
    }

    public func updatePassword(userID: String, hash: String, at: Date, event: AuthEvent?) async throws {
        try await write(event) { tx in
            try await tx.execute(
                #"UPDATE "account" SET "password" = ?, "updatedAt" = ? WHERE "userId" = ? AND "providerId" = 'credential'"#, hash, at, userID)
        }
    }

    public func resetPassword(userID: String, hash: String, at: Date, revokeSessions: Bool, event: AuthEvent?) async throws {
        defer { if revokeSessions { recentSessions.removeAll() } }
        try await db.transaction { tx in
            if let event { try await AuthEventStore.record(event, on: tx) }
            try await tx.execute(
                #"UPDATE "account" SET "password" = ?, "updatedAt" = ? WHERE "userId" = ? AND "providerId" = 'credential'"#, hash, at, userID)
            guard revokeSessions else { return }
            try await tx.execute(#"DELETE FROM "session" WHERE "userId" = ?"#, userID)
            try await tx.execute(#"DELETE FROM "verification" WHERE "identifier" LIKE 'reset-password:%' AND "value" = ?"#, userID)
            try await tx.announce(.sessions)
        }
    }

    public func deleteUser(id: String, event: AuthEvent?) async throws {
        defer { recentSessions.removeAll(); recentUsers.removeAll() }
        try await db.transaction { tx in
            // Reset tokens name the user only in their value, so they go explicitly.
            try await tx.execute(#"DELETE FROM "verification" WHERE "value" = ? AND "identifier" LIKE 'reset-password:%'"#, id)
            guard let deleted = try await tx.first(#"DELETE FROM "user" WHERE "id" = ? RETURNING "email""#, id) else { return }
            try await tx.announce(.sessions)
            try await tx.announce(.users)
            // The audit rows stay, without what identifies the person (README, "Audit trail").
            let email = try deleted.string("email")
            try await AuthEventStore.scrub(userID: id, email: email, on: tx)
            // Mails to the address go too: unsent ones hold links, sent ones the address.
            try await tx.execute(#"DELETE FROM "mail_outbox" WHERE "recipient" = ?"#, email)
            guard var event else { return }
            event.email = nil; event.ipAddress = nil; event.userAgent = nil
            try await AuthEventStore.record(event, on: tx)
        }
    }

    public func recordEvent(_ event: AuthEvent) async throws {
        try await AuthEventStore.record(event, on: db)
    }

    public func createSession(_ session: Session, event: AuthEvent?) async throws {
        try await write(event) { tx in
            try await tx.execute(
                #"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
                session.id, session.expiresAt, session.token, session.createdAt, session.updatedAt, session.ipAddress, session.userAgent, session.userId)
        }
    }

    public func session(token: String) async throws -> (Session, User)? {
        guard let row = try await db.query(prepared: SessionByToken.self, [.text(token)]).first else { return nil }
        return (try Self.session(row, prefix: "s_"), try Self.user(row))
    }

    /// A session and its user by token: every `get-session` and session-authenticated request
    /// (prepared once per PostgreSQL connection).
    enum SessionByToken: PreparedSQL {
        static let sql = #"""
            SELECT s."id" AS "s_id", s."expiresAt" AS "s_expiresAt", s."token" AS "s_token", s."createdAt" AS "s_createdAt",
                   s."updatedAt" AS "s_updatedAt", s."ipAddress" AS "s_ipAddress", s."userAgent" AS "s_userAgent", s."userId" AS "s_userId",
                   u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt"
            FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE s."token" = ?
            """#
    }

    public func session(id: String) async throws -> Session? {
        let ticket: UInt64
        switch recentSessions.lookup(id) {
        case .hit(let session): return session
        case .miss(let t): ticket = t
        }
        let session = try await db.first(
            #"SELECT "id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId" FROM "session" WHERE "id" = ?"#, id
        ).map { try Self.session($0, prefix: "") }
        recentSessions.remember(session, id: id, after: ticket)
        return session
    }

    public func refreshSession(token: String, expiresAt: Date, updatedAt: Date) async throws {
        try await db.execute(#"UPDATE "session" SET "expiresAt" = ?, "updatedAt" = ? WHERE "token" = ?"#, expiresAt, updatedAt, token)
    }

    public func deleteSession(token: String, event: AuthEvent?) async throws {
        defer { recentSessions.removeAll() }
        try await db.transaction { tx in
            guard let row = try await tx.first(#"DELETE FROM "session" WHERE "token" = ? RETURNING "userId""#, token) else { return }
            try await tx.announce(.sessions)
            guard var signedOut = event else { return }
            signedOut.userID = try row.string("userId")
            try await AuthEventStore.record(signedOut, on: tx)
        }
    }

    public func deleteSession(token: String, userID: String, event: AuthEvent?) async throws {
        defer { recentSessions.removeAll() }
        try await db.transaction { tx in
            let deleted = try await tx.query(#"DELETE FROM "session" WHERE "token" = ? AND "userId" = ? RETURNING "id""#, [.text(token), .text(userID)])
            guard !deleted.isEmpty else { return }
            try await tx.announce(.sessions)
            if let event { try await AuthEventStore.record(event, on: tx) }
        }
    }

    public func deleteSessions(userID: String, except token: String?, event: AuthEvent?) async throws {
        defer { recentSessions.removeAll() }
        try await db.transaction { tx in
            let deleted = if let token {
                try await tx.query(#"DELETE FROM "session" WHERE "userId" = ? AND "token" <> ? RETURNING "id""#, [.text(userID), .text(token)])
            } else {
                try await tx.query(#"DELETE FROM "session" WHERE "userId" = ? RETURNING "id""#, [.text(userID)])
            }
            if !deleted.isEmpty { try await tx.announce(.sessions) }
            guard var event else { return }
            event.detail = event.detail.adding("count", .number(Double(deleted.count)))
            try await AuthEventStore.record(event, on: tx)
        }
    }

    /// Forgets cached rows that another process changed (``DatabaseChange``); `nil`: anything
    /// may have changed.
    public func forget(_ change: DatabaseChange?) {
        switch change {
        case .sessions?: recentSessions.removeAll()
        case .users?: recentUsers.removeAll()
        case .keys?: break
        case nil: recentSessions.removeAll(); recentUsers.removeAll()
        }
    }

    public func activeSessions(userID: String, now: Date) async throws -> [Session] {
        try await db.query(
            #"SELECT "id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId" FROM "session" WHERE "userId" = ? ORDER BY "createdAt""#,
            userID
        ).map { try Self.session($0, prefix: "") }.filter { $0.expiresAt > now }
    }

    public func createVerification(identifier: String, value: String, expiresAt: Date, at: Date, event: AuthEvent?, mail: QueuedMail?) async throws {
        try await db.transaction { tx in
            try await tx.execute(
                #"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                RandomID.generate(32), identifier, value, expiresAt, at, at)
            if let event { try await AuthEventStore.record(event, on: tx) }
            try await Self.queue(mail, at: at, on: tx)
        }
    }

    public func queueMail(_ mail: QueuedMail) async throws {
        try await db.transaction { tx in try await Self.queue(mail, at: mail.event?.createdAt ?? Date(), on: tx) }
    }

    public func markEmailVerified(userID: String, at: Date, event: AuthEvent?) async throws -> User? {
        defer { recentUsers.removeAll() }
        return try await db.transaction { tx in
            guard let user = try await tx.first(
                #"UPDATE "user" SET "emailVerified" = ?, "updatedAt" = ? WHERE "id" = ? RETURNING \#(Self.userColumns)"#, true, at, userID
            ).map(Self.user) else { return nil }
            try await tx.announce(.users)
            if let event { try await AuthEventStore.record(event, on: tx) }
            return user
        }
    }

    public func changeEmail(userID: String, from: String, to: String, verified: Bool, at: Date, event: AuthEvent?, mail: QueuedMail?) async throws -> User? {
        defer { recentUsers.removeAll() }
        do {
            return try await db.transaction { tx in
                guard let user = try await tx.first(
                    #"UPDATE "user" SET "email" = ?, "emailVerified" = ?, "updatedAt" = ? WHERE "id" = ? AND "email" = ? RETURNING \#(Self.userColumns)"#,
                    to, verified, at, userID, from
                ).map(Self.user) else { return nil }
                try await tx.announce(.users)
                if let event { try await AuthEventStore.record(event, on: tx) }
                try await Self.queue(mail, at: at, on: tx)
                return user
            }
        } catch DatabaseError.uniqueViolation {
            throw AuthStoreError.emailTaken
        }
    }

    public func consumeVerification(identifier: String, now: Date) async throws -> String? {
        // DELETE … RETURNING makes the token single-use even under concurrent requests.
        let rows = try await db.query(#"DELETE FROM "verification" WHERE "identifier" = ? RETURNING "value", "expiresAt""#, identifier)
        guard let row = rows.first, try row.date("expiresAt") > now else { return nil }
        return try row.string("value")
    }

    public func peekVerification(identifier: String, now: Date) async throws -> String? {
        guard let row = try await db.first(#"SELECT "value", "expiresAt" FROM "verification" WHERE "identifier" = ?"#, identifier),
              try row.date("expiresAt") > now else { return nil }
        return try row.string("value")
    }

    public static func user(_ row: DatabaseRow) throws -> User {
        User(id: try row.string("id"), name: try row.string("name"), email: try row.string("email"),
             emailVerified: try row.bool("emailVerified"), image: row.optionalString("image"),
             createdAt: try row.date("createdAt"), updatedAt: try row.date("updatedAt"))
    }

    public static func session(_ row: DatabaseRow, prefix: String) throws -> Session {
        Session(id: try row.string(prefix + "id"), expiresAt: try row.date(prefix + "expiresAt"), token: try row.string(prefix + "token"),
                createdAt: try row.date(prefix + "createdAt"), updatedAt: try row.date(prefix + "updatedAt"),
                ipAddress: row.optionalString(prefix + "ipAddress"), userAgent: row.optionalString(prefix + "userAgent"),
                userId: try row.string(prefix + "userId"))
    }
}
