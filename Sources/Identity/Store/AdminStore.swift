import Foundation
import StoaCore
import Storage

/// Operator queries over the auth tables (the `stoa users|sessions|accounts` commands).
/// Lists are keyset-paged so ten thousand users never sit in memory at once.
public struct AdminStore: Sendable {
    let db: any Database
    public init(database: any Database) { db = database }

    /// Users ordered by creation, after `cursor` (createdAt, id), at most `limit`.
    public func users(after cursor: (Date, String)?, limit: Int, matching query: String? = nil) async throws -> [User] {
        var sql = #"SELECT \#(SQLAuthStore.userColumns) FROM "user" WHERE 1 = 1"#
        var binds: [DatabaseValue] = []
        if let query, !query.isEmpty {
            sql += #" AND (LOWER("email") LIKE ? OR LOWER("name") LIKE ?)"#
            let pattern = "%" + query.lowercased() + "%"
            binds += [.text(pattern), .text(pattern)]
        }
        if let (created, id) = cursor {
            sql += #" AND ("createdAt" > ? OR ("createdAt" = ? AND "id" > ?))"#
            binds += [.date(created), .date(created), .text(id)]
        }
        sql += #" ORDER BY "createdAt", "id" LIMIT ?"#
        binds.append(.int(Int64(limit)))
        return try await db.query(sql, binds).map(SQLAuthStore.user)
    }

    /// A user by email (case-insensitive) or id.
    public func findUser(_ emailOrID: String) async throws -> User? {
        try await db.first(#"SELECT \#(SQLAuthStore.userColumns) FROM "user" WHERE "email" = ? OR "id" = ?"#,
                           emailOrID.lowercased(), emailOrID).map(SQLAuthStore.user)
    }

    public func setEmail(userID: String, email: String, at: Date) async throws {
        do {
            try await changing(.users) { tx in
                try await tx.execute(#"UPDATE "user" SET "email" = ?, "updatedAt" = ? WHERE "id" = ?"#, email.lowercased(), at, userID)
            }
        } catch DatabaseError.uniqueViolation {
            throw AuthStoreError.emailTaken
        }
    }

    public func setVerified(userID: String, verified: Bool, at: Date) async throws {
        try await changing(.users) { tx in
            try await tx.execute(#"UPDATE "user" SET "emailVerified" = ?, "updatedAt" = ? WHERE "id" = ?"#, verified, at, userID)
        }
    }

    /// Sessions, newest first; of one user when given.
    public func sessions(userID: String?) async throws -> [Session] {
        let columns = #""id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId""#
        let rows = if let userID {
            try await db.query(#"SELECT \#(columns) FROM "session" WHERE "userId" = ? ORDER BY "createdAt" DESC"#, [.text(userID)])
        } else {
            try await db.query(#"SELECT \#(columns) FROM "session" ORDER BY "createdAt" DESC LIMIT 1000"#, [])
        }
        return try rows.map { try SQLAuthStore.session($0, prefix: "") }
    }

    /// Deletes a session by id or token; returns how many went. Recorded in the audit trail.
    public func revokeSession(idOrToken: String) async throws -> Int {
        let now = Date()
        return try await changing(.sessions) { tx in
            let rows = try await tx.query(#"DELETE FROM "session" WHERE "id" = ? OR "token" = ? RETURNING "id", "userId""#, [.text(idOrToken), .text(idOrToken)])
            for row in rows {
                try await AuthEventStore.record(AuthEvent(userID: try row.string("userId"), type: .sessionRevoked,
                                                          detail: .object([("scope", .string("one")), ("by", .string("cli"))]), createdAt: now), on: tx)
            }
            return rows.count
        }
    }

    public func revokeSessions(userID: String) async throws -> Int {
        let now = Date()
        return try await changing(.sessions) { tx in
            let count = try await tx.query(#"DELETE FROM "session" WHERE "userId" = ? RETURNING "id""#, [.text(userID)]).count
            try await AuthEventStore.record(AuthEvent(userID: userID, type: .sessionRevoked, detail: .object([
                ("scope", .string("all")), ("count", .number(Double(count))), ("by", .string("cli")),
            ]), createdAt: now), on: tx)
            return count
        }
    }

    /// Runs `body` and announces `change` to running servers (PostgreSQL) in one transaction.
    @discardableResult
    private func changing<T: Sendable>(_ change: DatabaseChange, _ body: @Sendable @escaping (any SQLExecutor) async throws -> T) async throws -> T {
        try await db.transaction { tx in
            let result = try await body(tx)
            try await tx.announce(change)
            return result
        }
    }

    /// Accounts (never their secrets), of one user when given.
    public func accounts(userID: String?) async throws -> [Account] {
        let columns = #""id", "accountId", "providerId", "issuer", "userId", "createdAt", "updatedAt""#
        let rows = if let userID {
            try await db.query(#"SELECT \#(columns) FROM "account" WHERE "userId" = ? ORDER BY "createdAt""#, [.text(userID)])
        } else {
            try await db.query(#"SELECT \#(columns) FROM "account" ORDER BY "createdAt" LIMIT 1000"#, [])
        }
        return try rows.map {
            Account(id: try $0.string("id"), accountId: try $0.string("accountId"), providerId: try $0.string("providerId"),
                    issuer: $0.optionalString("issuer") ?? "", userId: try $0.string("userId"), password: nil,
                    createdAt: try $0.date("createdAt"), updatedAt: try $0.date("updatedAt"))
        }
    }
}
