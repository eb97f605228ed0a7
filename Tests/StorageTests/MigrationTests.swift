import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Testing

@Suite struct MigrationTests {
    static let tables = ["user", "session", "account", "verification", "jwks", "rateLimit"]

    func tableNames(_ db: any Database) async throws -> Set<String> {
        let sql = db.dialect == .sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table'"
            : "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        return Set(try await db.query(sql, []).map { try $0.string("name") })
    }

    @Test("up creates Better Auth's tables; down to zero drops them; up again works") func roundTrip() async throws {
        try await TestDatabase.with(migrated: false) { db in
            let runner = MigrationRunner(database: db, logger: TestDatabase.logger)
            #expect(try await runner.status().allSatisfy { $0.appliedAt == nil })
            #expect(try await runner.up() == Migration.all.map(\.version))
            #expect(try await runner.up().isEmpty)
            #expect(try await tableNames(db).isSuperset(of: Self.tables))
            #expect(try await runner.down(to: 0) == Migration.all.map(\.version).reversed())
            #expect(try await tableNames(db).isDisjoint(with: Self.tables))
            #expect(try await runner.up() == Migration.all.map(\.version))
            // The schema works after the round trip: foreign keys cascade.
            let now = Date()
            try await db.execute(#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                                 "u1", "U", "u@x.io", false, now, now)
            try await db.execute(#"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "userId") VALUES (?, ?, ?, ?, ?, ?)"#,
                                 "s1", now, "t1", now, now, "u1")
            await #expect(throws: DatabaseError.self) {
                try await db.execute(#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                                     "u2", "U", "u@x.io", false, now, now)
            }
            try await db.execute(#"DELETE FROM "user" WHERE "id" = ?"#, "u1")
            #expect(try await db.query(#"SELECT "id" FROM "session""#, []).isEmpty)
        }
    }

    @Test("columns and types are Better Auth's for the dialect") func columns() async throws {
        try await TestDatabase.with { db in
            if db.dialect == .postgres {
                let rows = try await db.query(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'session' AND table_schema = current_schema()", [])
                var types: [String: String] = [:]
                for row in rows { types[try row.string("column_name")] = try row.string("data_type") }
                #expect(types["expiresAt"] == "timestamp with time zone")
                #expect(types["userId"] == "text")
                let indexes = try await db.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()", []).map { try $0.string("indexname") }
                #expect(indexes.contains("session_userId_idx"))
                #expect(indexes.contains("account_issuer_accountId_uidx"))
                #expect(indexes.contains("verification_identifier_idx"))
            } else {
                let rows = try await db.query(#"PRAGMA table_info("user")"#, [])
                var types: [String: String] = [:]
                for row in rows { types[try row.string("name")] = try row.string("type").lowercased() }
                #expect(types["createdAt"] == "date")
                #expect(types["emailVerified"] == "integer")
                let mode = try await db.first("PRAGMA journal_mode")
                #expect(mode?.optionalString("journal_mode") == "wal")
                let fk = try await db.first("PRAGMA foreign_keys")
                #expect(try fk?.int("foreign_keys") == 1)
            }
        }
    }

    @Test("transactions roll back on error") func rollback() async throws {
        try await TestDatabase.with { db in
            let now = Date()
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await db.transaction { tx in
                    try await tx.execute(#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                                         "u1", "U", "u@x.io", false, now, now)
                    throw Boom()
                }
            }
            let rows = try await db.query(#"SELECT "id" FROM "user""#, [])
            #expect(rows.isEmpty)
        }
    }

    @Test("dates keep milliseconds in both dialects") func dates() async throws {
        try await TestDatabase.with { db in
            let date = Date(timeIntervalSince1970: 1_767_323_045.678)
            try await db.execute(#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
                                 "u1", "U", "u@x.io", true, date, date)
            let row = try #require(try await db.first(#"SELECT "createdAt", "emailVerified" FROM "user""#))
            #expect(ISO8601.string(from: try row.date("createdAt")) == "2026-01-02T03:04:05.678Z")
            #expect(try row.bool("emailVerified"))
        }
    }
}
