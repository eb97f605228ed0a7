extension Migration {
    /// Stoa's own tables (snake_case): conversations, messages, tasks, feedback, with full-text
    /// search kept in step with every write — generated `tsvector` columns in PostgreSQL,
    /// FTS5 tables maintained by triggers in SQLite (both inside the writing transaction).
    static let conversations = Migration(
        version: 2,
        name: "conversations, messages, tasks, feedback (+ full-text search)",
        up: [
            .postgres: [
                """
                CREATE TABLE "conversation" ("id" text PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "title" text NOT NULL DEFAULT '', "pinned" boolean NOT NULL DEFAULT false, "archived" boolean NOT NULL DEFAULT false, \
                "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, \
                "search" tsvector GENERATED ALWAYS AS (to_tsvector('english', "title")) STORED)
                """,
                #"CREATE INDEX "conversation_user_list_idx" ON "conversation" ("user_id", "archived", "pinned" DESC, "updated_at" DESC, "id" DESC)"#,
                #"CREATE INDEX "conversation_search_idx" ON "conversation" USING GIN ("search")"#,
                """
                CREATE TABLE "message" ("id" text PRIMARY KEY, "conversation_id" text NOT NULL REFERENCES "conversation" ("id") ON DELETE CASCADE, \
                "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "role" text NOT NULL CHECK ("role" IN ('user', 'assistant', 'tool', 'system')), "content" text NOT NULL, \
                "sources" text, "tool_calls" text, "truncated" boolean NOT NULL DEFAULT false, "created_at" timestamptz NOT NULL, \
                "search" tsvector GENERATED ALWAYS AS (to_tsvector('english', "content")) STORED)
                """,
                #"CREATE INDEX "message_conversation_idx" ON "message" ("conversation_id", "created_at" DESC, "id" DESC)"#,
                #"CREATE INDEX "message_user_idx" ON "message" ("user_id", "created_at" DESC, "id" DESC)"#,
                #"CREATE INDEX "message_search_idx" ON "message" USING GIN ("search")"#,
                """
                CREATE TABLE "task" ("id" text PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "title" text NOT NULL, "description" text, "completed" boolean NOT NULL DEFAULT false, "due_at" timestamptz, \
                "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL)
                """,
                #"CREATE INDEX "task_user_idx" ON "task" ("user_id", "created_at" DESC, "id" DESC)"#,
                """
                CREATE TABLE "feedback" ("id" text PRIMARY KEY, "message_id" text NOT NULL REFERENCES "message" ("id") ON DELETE CASCADE, \
                "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, "rating" text NOT NULL CHECK ("rating" IN ('up', 'down')), \
                "comment" text, "created_at" timestamptz NOT NULL)
                """,
                #"CREATE INDEX "feedback_user_idx" ON "feedback" ("user_id")"#,
                #"CREATE INDEX "feedback_message_idx" ON "feedback" ("message_id")"#,
            ],
            .sqlite: [
                """
                CREATE TABLE "conversation" ("id" text PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "title" text NOT NULL DEFAULT '', "pinned" integer NOT NULL DEFAULT 0, "archived" integer NOT NULL DEFAULT 0, \
                "created_at" date NOT NULL, "updated_at" date NOT NULL)
                """,
                #"CREATE INDEX "conversation_user_list_idx" ON "conversation" ("user_id", "archived", "pinned" DESC, "updated_at" DESC, "id" DESC)"#,
                #"CREATE VIRTUAL TABLE "conversation_fts" USING fts5("title", content='conversation', content_rowid='rowid', tokenize='porter unicode61')"#,
                #"CREATE TRIGGER "conversation_fts_ai" AFTER INSERT ON "conversation" BEGIN INSERT INTO "conversation_fts" ("rowid", "title") VALUES (new."rowid", new."title"); END"#,
                #"CREATE TRIGGER "conversation_fts_ad" AFTER DELETE ON "conversation" BEGIN INSERT INTO "conversation_fts" ("conversation_fts", "rowid", "title") VALUES ('delete', old."rowid", old."title"); END"#,
                #"CREATE TRIGGER "conversation_fts_au" AFTER UPDATE OF "title" ON "conversation" BEGIN INSERT INTO "conversation_fts" ("conversation_fts", "rowid", "title") VALUES ('delete', old."rowid", old."title"); INSERT INTO "conversation_fts" ("rowid", "title") VALUES (new."rowid", new."title"); END"#,
                """
                CREATE TABLE "message" ("id" text PRIMARY KEY, "conversation_id" text NOT NULL REFERENCES "conversation" ("id") ON DELETE CASCADE, \
                "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "role" text NOT NULL CHECK ("role" IN ('user', 'assistant', 'tool', 'system')), "content" text NOT NULL, \
                "sources" text, "tool_calls" text, "truncated" integer NOT NULL DEFAULT 0, "created_at" date NOT NULL)
                """,
                #"CREATE INDEX "message_conversation_idx" ON "message" ("conversation_id", "created_at" DESC, "id" DESC)"#,
                #"CREATE INDEX "message_user_idx" ON "message" ("user_id", "created_at" DESC, "id" DESC)"#,
                #"CREATE VIRTUAL TABLE "message_fts" USING fts5("content", content='message', content_rowid='rowid', tokenize='porter unicode61')"#,
                #"CREATE TRIGGER "message_fts_ai" AFTER INSERT ON "message" BEGIN INSERT INTO "message_fts" ("rowid", "content") VALUES (new."rowid", new."content"); END"#,
                #"CREATE TRIGGER "message_fts_ad" AFTER DELETE ON "message" BEGIN INSERT INTO "message_fts" ("message_fts", "rowid", "content") VALUES ('delete', old."rowid", old."content"); END"#,
                #"CREATE TRIGGER "message_fts_au" AFTER UPDATE OF "content" ON "message" BEGIN INSERT INTO "message_fts" ("message_fts", "rowid", "content") VALUES ('delete', old."rowid", old."content"); INSERT INTO "message_fts" ("rowid", "content") VALUES (new."rowid", new."content"); END"#,
                """
                CREATE TABLE "task" ("id" text PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "title" text NOT NULL, "description" text, "completed" integer NOT NULL DEFAULT 0, "due_at" date, \
                "created_at" date NOT NULL, "updated_at" date NOT NULL)
                """,
                #"CREATE INDEX "task_user_idx" ON "task" ("user_id", "created_at" DESC, "id" DESC)"#,
                """
                CREATE TABLE "feedback" ("id" text PRIMARY KEY, "message_id" text NOT NULL REFERENCES "message" ("id") ON DELETE CASCADE, \
                "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, "rating" text NOT NULL CHECK ("rating" IN ('up', 'down')), \
                "comment" text, "created_at" date NOT NULL)
                """,
                #"CREATE INDEX "feedback_user_idx" ON "feedback" ("user_id")"#,
                #"CREATE INDEX "feedback_message_idx" ON "feedback" ("message_id")"#,
            ],
        ],
        down: [
            .postgres: [#"DROP TABLE IF EXISTS "feedback""#, #"DROP TABLE IF EXISTS "task""#, #"DROP TABLE IF EXISTS "message""#,
                        #"DROP TABLE IF EXISTS "conversation""#],
            .sqlite: [#"DROP TABLE IF EXISTS "feedback""#, #"DROP TABLE IF EXISTS "task""#,
                      #"DROP TRIGGER IF EXISTS "message_fts_au""#, #"DROP TRIGGER IF EXISTS "message_fts_ad""#, #"DROP TRIGGER IF EXISTS "message_fts_ai""#,
                      #"DROP TABLE IF EXISTS "message_fts""#, #"DROP TABLE IF EXISTS "message""#,
                      #"DROP TRIGGER IF EXISTS "conversation_fts_au""#, #"DROP TRIGGER IF EXISTS "conversation_fts_ad""#, #"DROP TRIGGER IF EXISTS "conversation_fts_ai""#,
                      #"DROP TABLE IF EXISTS "conversation_fts""#, #"DROP TABLE IF EXISTS "conversation""#],
        ])
}
