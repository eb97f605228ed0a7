import Foundation
import Logging
import StoaCore
import Storage

/// The `mcp_session` table: every MCP session any replica opened, with its owner and the
/// client's `initialize` parameters. It makes sessions work behind a load balancer without
/// stickiness: a replica that gets a request for a session it has not seen finds it here
/// and sets up its own copy (``MCPRoutes``); a session ended on one replica (`DELETE /mcp`,
/// expiry) is refused by all.
public struct MCPSessionRegistry: Sendable {
    let database: any Database
    let limits: MCPSessions.Limits

    public init(database: any Database, limits: MCPSessions.Limits = .init()) {
        self.database = database
        self.limits = limits
    }
    /// `last_used_at` is written at most this often per session (reads stay reads).
    static let touchInterval: TimeInterval = 60
    /// The largest `initialize` parameters kept (a client's name, version and capabilities).
    static let maxInitializeBytes = 16 * 1024

    /// A registered session: its owner, what the client sent in `initialize`, and when it was last used.
    struct Entry: Sendable {
        let userID: String
        let initialize: String
        let createdAt: Date
        let lastUsedAt: Date
    }

    /// Records a new session. Beyond ``MCPSessions/Limits/maxSessionsPerUser`` sessions of one
    /// user, the least recently used go.
    func register(id: String, userID: String, initialize: String, at now: Date) async throws {
        try await database.transaction { tx in
            try await tx.execute(#"INSERT INTO "mcp_session" ("id", "user_id", "initialize", "created_at", "last_used_at") VALUES (?, ?, ?, ?, ?)"#,
                                 id, userID, initialize, now, now)
            let keep = Int64(limits.maxSessionsPerUser)
            try await tx.execute(#"""
                DELETE FROM "mcp_session" WHERE "user_id" = ? AND "id" NOT IN
                (SELECT "id" FROM "mcp_session" WHERE "user_id" = ? ORDER BY "last_used_at" DESC, "id" DESC LIMIT ?)
                """#, userID, userID, keep)
        }
    }

    /// The live session `id` of `userID`, marked used; nil when unknown, another user's, ended
    /// or expired (an expired row is deleted).
    func use(id: String, userID: String, at now: Date) async throws -> Entry? {
        guard let row = try await database.first(
            #"SELECT "user_id", "initialize", "created_at", "last_used_at" FROM "mcp_session" WHERE "id" = ?"#, id) else { return nil }
        let entry = Entry(userID: try row.string("user_id"), initialize: try row.string("initialize"),
                          createdAt: try row.date("created_at"), lastUsedAt: try row.date("last_used_at"))
        guard entry.userID == userID else { return nil }
        if now.timeIntervalSince(entry.lastUsedAt) > limits.idleTimeout || now.timeIntervalSince(entry.createdAt) > limits.maxLifetime {
            try await remove(id: id)
            return nil
        }
        if now.timeIntervalSince(entry.lastUsedAt) > Self.touchInterval {
            try await database.execute(#"UPDATE "mcp_session" SET "last_used_at" = ? WHERE "id" = ?"#, now, id)
        }
        return entry
    }

    func remove(id: String) async throws {
        try await database.execute(#"DELETE FROM "mcp_session" WHERE "id" = ?"#, id)
    }

    /// Deletes sessions idle past the timeout or older than the lifetime cap; returns how many.
    @discardableResult
    func expire(at now: Date) async throws -> Int {
        try await database.query(#"DELETE FROM "mcp_session" WHERE "last_used_at" < ? OR "created_at" < ? RETURNING "id""#,
                                 [.date(now.addingTimeInterval(-limits.idleTimeout)), .date(now.addingTimeInterval(-limits.maxLifetime))]).count
    }
}
