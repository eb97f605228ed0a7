import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// SQLite runs statements on the caller's thread through the C API; these pin down what that
/// must still do right: values round-trip, cached statements are reset, a file locked by another
/// process is waited for off the caller's thread, and errors stay clear.
@Suite struct SQLiteConnectionTests {
    static func withTwoConnections(_ body: (SQLiteDatabase, SQLiteDatabase) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-sqlite-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await SQLiteDatabase.open(path: dir + "/t.db", logger: TestDatabase.logger)
        let second = try await SQLiteDatabase.open(path: dir + "/t.db", logger: TestDatabase.logger)
        try await first.execute(#"CREATE TABLE "t" ("id" integer PRIMARY KEY, "name" text UNIQUE, "score" real, "note" text)"#)
        do {
            try await body(first, second)
        } catch {
            await first.close(); await second.close()
            throw error
        }
        await first.close(); await second.close()
    }

    @Test("values round-trip; a reused statement starts afresh; scripts run every statement") func values() async throws {
        try await Self.withTwoConnections { db, _ in
            for i in 0..<3 {   // the same SQL text three times: the cached statement is reset and rebound
                try await db.execute(#"INSERT INTO "t" ("id", "name", "score", "note") VALUES (?, ?, ?, ?)"#, i, "n\(i) — é 😀", Double(i) + 0.5, i == 1 ? nil : "")
            }
            let rows = try await db.query(#"SELECT "id", "name", "score", "note" FROM "t" ORDER BY "id""#, [])
            #expect(rows.count == 3)
            #expect(try rows[1].string("name") == "n1 — é 😀")
            #expect(try rows[2].int("id") == 2)
            #expect(rows[1].optionalString("note") == nil)
            #expect(rows[0].optionalString("note") == "")
            let again = try await db.query(#"SELECT "id" FROM "t" WHERE "id" >= ? ORDER BY "id""#, [.int(1)])
            #expect(again.count == 2)
            let fewer = try await db.query(#"SELECT "id" FROM "t" WHERE "id" >= ? ORDER BY "id""#, [.int(2)])
            #expect(fewer.count == 1)
            try await db.execute(#"INSERT INTO "t" ("id") VALUES (10); INSERT INTO "t" ("id") VALUES (11)"#)
            #expect(try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, []).first?.int("n") == 5)
        }
    }

    @Test("errors: unique violations, bad SQL, wrong number of values") func errors() async throws {
        try await Self.withTwoConnections { db, _ in
            try await db.execute(#"INSERT INTO "t" ("id", "name") VALUES (1, 'a')"#)
            do {
                try await db.execute(#"INSERT INTO "t" ("id", "name") VALUES (2, 'a')"#)
                Issue.record("a duplicate name was accepted")
            } catch DatabaseError.uniqueViolation {
            }
            await #expect(throws: DatabaseError.self) { try await db.execute("SELEKT 1") }
            await #expect(throws: DatabaseError.self) { try await db.query(#"SELECT ? AS "x""#, []) }
            // The connection is fine afterwards.
            #expect(try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, []).first?.int("n") == 1)
        }
    }

    @Test("a file locked by another connection is waited for, then written") func busy() async throws {
        try await Self.withTwoConnections { first, second in
            let started = Date()
            async let holder: Void = first.transaction { tx in
                try await tx.execute(#"INSERT INTO "t" ("id", "name") VALUES (1, 'held')"#)
                try await Task.sleep(for: .milliseconds(400))   // the write lock is held meanwhile
            }
            try await Task.sleep(for: .milliseconds(100))
            try await second.execute(#"INSERT INTO "t" ("id", "name") VALUES (2, 'waited')"#)
            let waited = Date().timeIntervalSince(started)
            try await holder
            #expect(waited >= 0.3, "the second write went through while the first held the lock")
            let names = try await first.query(#"SELECT "name" FROM "t" ORDER BY "id""#, []).map { try $0.string("name") }
            #expect(names == ["held", "waited"])
        }
    }

    @Test("reads go to per-thread readers: they see every commit, run beside an open transaction, and writes never reach them")
    func readers() async throws {
        try await Self.withTwoConnections { db, _ in
            #expect(try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, [])[0].int("n") == 0)
            try await db.execute(#"INSERT INTO "t" ("id", "name") VALUES (?, ?)"#, 1, "one")
            // A commit is visible to the next read at once, whichever reader serves it.
            #expect(try await db.query(#"SELECT "name" FROM "t" WHERE "id" = ?"#, [.int(1)]).first?.string("name") == "one")
            // A write spelled as a query goes to the writer (SQLite says it is not read-only).
            _ = try await db.query(#"WITH "v" AS (SELECT 2 AS "id") INSERT INTO "t" ("id", "name") SELECT "id", 'two' FROM "v""#, [])
            _ = try await db.query(#"  select 1"#, [])
            #expect(try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, [])[0].int("n") == 2)
            // While a transaction holds the writer, reads from other tasks still answer (with the last commit).
            let (inside, release) = AsyncStream.makeStream(of: Void.self)
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let writer = Task {
                try await db.transaction { tx in
                    try await tx.execute(#"INSERT INTO "t" ("id", "name") VALUES (?, ?)"#, 3, "three")
                    holding.yield(); holding.finish()
                    for await _ in inside {}
                }
            }
            for await _ in held {}
            let during = try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, [])[0].int("n")
            #expect(during == 2)
            release.finish()
            try await writer.value
            #expect(try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, [])[0].int("n") == 3)
            // Many concurrent readers and writers: nothing lost, nothing torn.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for k in 0..<200 {
                    group.addTask {
                        if k % 4 == 0 {
                            try await db.execute(#"INSERT INTO "t" ("id", "name") VALUES (?, ?)"#, 100 + k, "n\(k)")
                        } else {
                            _ = try await db.query(#"SELECT "id", "name" FROM "t" ORDER BY "id""#, [])
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await db.query(#"SELECT COUNT(*) AS "n" FROM "t""#, [])[0].int("n") == 53)
        }
    }

    @Test("a query after close fails with a clear error, from a reader or the writer") func closed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-sqlite-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try await SQLiteDatabase.open(path: dir + "/t.db", logger: TestDatabase.logger)
        _ = try await db.query("SELECT 1", [])
        await db.close()
        await #expect(throws: (any Error).self) { _ = try await db.query("SELECT 1", []) }
    }
}
