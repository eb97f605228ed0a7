import StoaCore

extension Migration {
    /// Messages keep their HTML: rendered once when saved, not on every read. Existing rows are
    /// rendered here, a batch at a time, inside the migration's transaction.
    static let messageHTML = Migration(
        version: 5,
        name: "message html (rendered once, when saved)",
        up: [#"ALTER TABLE "message" ADD COLUMN "html" text"#],
        down: [#"ALTER TABLE "message" DROP COLUMN "html""#],
        fill: { tx in
            let batch = 500
            while true {
                let rows = try await tx.query(#"SELECT "id", "content" FROM "message" WHERE "html" IS NULL LIMIT ?"#, [.int(Int64(batch))])
                for row in rows {
                    try await tx.execute(#"UPDATE "message" SET "html" = ? WHERE "id" = ?"#,
                                         MarkdownRenderer.html(try row.string("content")), try row.string("id"))
                }
                if rows.count < batch { return }
            }
        })
}
