import Foundation
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// Rows are arrays of cells over columns shared by the whole result (issue 20: a dictionary per
/// row was a tenth of a history request's CPU on PostgreSQL). Reading them by name must behave
/// as before, on both databases and through both query paths (plain and prepared).
@Suite struct DatabaseRowTests {
    enum ThreeRows: PreparedSQL {
        static let sql = "SELECT n AS \"n\", 'row ' || n AS \"label\", NULL AS \"nothing\" FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) t WHERE n >= ? ORDER BY n"
    }

    @Test("rows read by name: each its own values, a missing column and NULL read as null, a repeated name as its last column")
    func rowsByName() async throws {
        try await TestDatabase.with { db in
            for rows in [try await db.query(prepared: ThreeRows.self, [.int(1)]),
                         try await db.query("SELECT n AS \"n\", 'row ' || n AS \"label\", NULL AS \"nothing\" FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) t WHERE n >= ? ORDER BY n", [.int(1)])] {
                #expect(rows.count == 3)
                #expect(try rows.map { try $0.int("n") } == [1, 2, 3])
                #expect(try rows.map { try $0.string("label") } == ["row 1", "row 2", "row 3"])
                #expect(rows.allSatisfy { $0["nothing"] == .null && $0["no such column"] == .null })
                #expect(rows.allSatisfy { $0.columns === rows[0].columns }, "a result's rows share one column index")
                #expect(rows[0].columns.names == ["n", "label", "nothing"])
                #expect(throws: DatabaseError.self) { try rows[0].string("no such column") }
            }
            let repeated = try #require(try await db.first("SELECT 1 AS \"a\", 2 AS \"a\""))
            #expect(try repeated.int("a") == 2)
            #expect(try await db.query("SELECT 1 AS \"a\" WHERE 1 = 0", []).isEmpty)
        }
    }

    @Test("a row needs one cell per column")
    func cellsMatchColumns() {
        let columns = DatabaseColumns(["a", "b"])
        let row = DatabaseRow(columns: columns, cells: [.int(1), .text("x")])
        #expect(row["a"] == .int(1) && row["b"] == .text("x") && row["c"] == .null)
    }
}
