extension Migration {
    /// The document collection: documents, their chunks, and full-text search over chunk text
    /// and headings (headings weigh more). PostgreSQL keeps a generated `tsvector` with a GIN
    /// index plus `document_term` (how many chunks hold each word) for query planning; SQLite
    /// keeps an FTS5 table (porter stemming, BM25) in step through triggers.
    static let documents = Migration(
        version: 3,
        name: "documents and chunks (+ full-text search)",
        up: [
            .postgres: [
                """
                CREATE TABLE "document" ("id" text PRIMARY KEY, "path" text NOT NULL UNIQUE, "title" text NOT NULL, "source" text, \
                "content_hash" text NOT NULL, "chunk_count" integer NOT NULL DEFAULT 0, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL)
                """,
                #"CREATE INDEX "document_list_idx" ON "document" ("created_at" DESC, "id" DESC)"#,
                """
                CREATE TABLE "chunk" ("id" text PRIMARY KEY, "document_id" text NOT NULL REFERENCES "document" ("id") ON DELETE CASCADE, \
                "ordinal" integer NOT NULL, "heading" text NOT NULL DEFAULT '', "anchor" text, "text" text NOT NULL, \
                "search" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', "heading"), 'A') || setweight(to_tsvector('english', "text"), 'B')) STORED)
                """,
                #"CREATE INDEX "chunk_document_idx" ON "chunk" ("document_id", "ordinal")"#,
                #"CREATE INDEX "chunk_search_idx" ON "chunk" USING GIN ("search")"#,
                #"CREATE TABLE "document_term" ("word" text PRIMARY KEY, "ndoc" integer NOT NULL)"#,
            ],
            .sqlite: [
                """
                CREATE TABLE "document" ("id" text PRIMARY KEY, "path" text NOT NULL UNIQUE, "title" text NOT NULL, "source" text, \
                "content_hash" text NOT NULL, "chunk_count" integer NOT NULL DEFAULT 0, "created_at" date NOT NULL, "updated_at" date NOT NULL)
                """,
                #"CREATE INDEX "document_list_idx" ON "document" ("created_at" DESC, "id" DESC)"#,
                """
                CREATE TABLE "chunk" ("id" text PRIMARY KEY, "document_id" text NOT NULL REFERENCES "document" ("id") ON DELETE CASCADE, \
                "ordinal" integer NOT NULL, "heading" text NOT NULL DEFAULT '', "anchor" text, "text" text NOT NULL)
                """,
                #"CREATE INDEX "chunk_document_idx" ON "chunk" ("document_id", "ordinal")"#,
                #"CREATE VIRTUAL TABLE "chunk_fts" USING fts5("heading", "text", content='chunk', content_rowid='rowid', tokenize='porter unicode61')"#,
                #"CREATE TRIGGER "chunk_fts_ai" AFTER INSERT ON "chunk" BEGIN INSERT INTO "chunk_fts" ("rowid", "heading", "text") VALUES (new."rowid", new."heading", new."text"); END"#,
                #"CREATE TRIGGER "chunk_fts_ad" AFTER DELETE ON "chunk" BEGIN INSERT INTO "chunk_fts" ("chunk_fts", "rowid", "heading", "text") VALUES ('delete', old."rowid", old."heading", old."text"); END"#,
            ],
        ],
        down: [
            .postgres: [#"DROP TABLE IF EXISTS "document_term""#, #"DROP TABLE IF EXISTS "chunk""#, #"DROP TABLE IF EXISTS "document""#],
            .sqlite: [#"DROP TRIGGER IF EXISTS "chunk_fts_ad""#, #"DROP TRIGGER IF EXISTS "chunk_fts_ai""#, #"DROP TABLE IF EXISTS "chunk_fts""#,
                      #"DROP TABLE IF EXISTS "chunk""#, #"DROP TABLE IF EXISTS "document""#],
        ])
}
