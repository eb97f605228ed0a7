import Foundation
import StoaCore
import Storage

/// The `auth_event` table: written inside the transactions of ``SQLAuthStore`` and ``KeyRing``
/// (``record(_:on:)``), read by the owner (``list(userID:page:)``) and by operators
/// (``search(userID:since:limit:)``), trimmed by retention (``deleteOlder(than:batch:)``).
public struct AuthEventStore: Sendable {
    let db: any Database
    public init(database: any Database) { db = database }

    static let columns = #""id", "user_id", "type", "email", "ip_address", "user_agent", "detail", "created_at""#

    /// Writes `event` with `executor`: pass the transaction of the change the event records.
    public static func record(_ event: AuthEvent, on executor: any SQLExecutor) async throws {
        _ = try await executor.query(
            #"INSERT INTO "auth_event" (\#(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
            [.text(event.id), .optional(event.userID), .text(event.type.rawValue), .optional(event.email), .optional(event.ipAddress),
             .optional(event.userAgent), .optional(event.detail?.serialized), .date(event.createdAt)])
    }

    /// Writes an event that goes with no change (a failed sign-in) on its own.
    public func record(_ event: AuthEvent) async throws {
        try await Self.record(event, on: db)
    }

    /// Clears the personal fields (email, address, user agent) of every row about `userID` — and
    /// of rows that name their email without a user, such as failed sign-ins — keeping the rows.
    /// Run in the transaction that deletes the user.
    static func scrub(userID: String, email: String, on executor: any SQLExecutor) async throws {
        _ = try await executor.query(
            #"UPDATE "auth_event" SET "email" = NULL, "ip_address" = NULL, "user_agent" = NULL WHERE "user_id" = ? OR ("user_id" IS NULL AND LOWER("email") = ?)"#,
            [.text(userID), .text(email.lowercased())])
    }

    /// The user's own events, newest first, keyset-paged on (`created_at`, `id`).
    public func list(userID: String, page: PageRequest) async throws -> Page<AuthEvent> {
        var sql = #"SELECT \#(Self.columns) FROM "auth_event" WHERE "user_id" = ?"#
        var binds: [DatabaseValue] = [.text(userID)]
        try NewestFirstPage.finish(&sql, &binds, page: page)
        return NewestFirstPage.page(try await db.query(sql, binds).map(Self.event), page) { ($0.createdAt, $0.id) }
    }

    /// Events for operators, newest first: of one user (by id, or rows naming `email`) and since a time when given.
    public func search(userID: String? = nil, email: String? = nil, since: Date? = nil, limit: Int) async throws -> [AuthEvent] {
        var sql = #"SELECT \#(Self.columns) FROM "auth_event" WHERE 1 = 1"#
        var binds: [DatabaseValue] = []
        switch (userID, email) {
        case let (userID?, email?):
            sql += #" AND ("user_id" = ? OR ("user_id" IS NULL AND LOWER("email") = ?))"#
            binds += [.text(userID), .text(email.lowercased())]
        case let (userID?, nil):
            sql += #" AND "user_id" = ?"#
            binds.append(.text(userID))
        case let (nil, email?):
            sql += #" AND LOWER("email") = ?"#
            binds.append(.text(email.lowercased()))
        case (nil, nil):
            break
        }
        if let since {
            sql += #" AND "created_at" >= ?"#
            binds.append(.date(since))
        }
        sql += #" ORDER BY "created_at" DESC, "id" DESC LIMIT ?"#
        binds.append(.int(Int64(limit)))
        return try await db.query(sql, binds).map(Self.event)
    }

    /// Deletes rows created before `cutoff`, `batch` at a time (each batch its own statement, so
    /// no lock is held for long). Returns how many went.
    @discardableResult
    public func deleteOlder(than cutoff: Date, batch: Int = 1000) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await db.query(
                #"DELETE FROM "auth_event" WHERE "id" IN (SELECT "id" FROM "auth_event" WHERE "created_at" < ? ORDER BY "created_at" LIMIT ?) RETURNING "id""#,
                [.date(cutoff), .int(Int64(batch))]).count
            total += deleted
            if deleted < batch { return total }
            await Task.yield()
        }
    }

    static func event(_ row: DatabaseRow) throws -> AuthEvent {
        AuthEvent(
            id: try row.string("id"), userID: row.optionalString("user_id"), type: AuthEventType(rawValue: try row.string("type")),
            email: row.optionalString("email"), ipAddress: row.optionalString("ip_address"), userAgent: row.optionalString("user_agent"),
            detail: row.optionalString("detail").flatMap { JSONValue.parse(Data($0.utf8)) }, createdAt: try row.date("created_at"))
    }
}
