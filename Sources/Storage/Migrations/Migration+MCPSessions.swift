extension Migration {
    /// MCP sessions shared by every replica: a session opened on one can be used on another
    /// (behind a load balancer with no stickiness). The row keeps what the client said in
    /// `initialize`, so a replica that has not seen the session can set up its own copy.
    static let mcpSessions = Migration(
        version: 7,
        name: "mcp sessions shared between replicas",
        up: [
            .postgres: [
                """
                CREATE TABLE "mcp_session" ("id" text PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "initialize" text NOT NULL, "created_at" timestamptz NOT NULL, "last_used_at" timestamptz NOT NULL)
                """,
                #"CREATE INDEX "mcp_session_user_idx" ON "mcp_session" ("user_id", "last_used_at")"#,
                #"CREATE INDEX "mcp_session_used_idx" ON "mcp_session" ("last_used_at")"#,
            ],
            .sqlite: [
                """
                CREATE TABLE "mcp_session" ("id" text PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, \
                "initialize" text NOT NULL, "created_at" date NOT NULL, "last_used_at" date NOT NULL)
                """,
                #"CREATE INDEX "mcp_session_user_idx" ON "mcp_session" ("user_id", "last_used_at")"#,
                #"CREATE INDEX "mcp_session_used_idx" ON "mcp_session" ("last_used_at")"#,
            ],
        ],
        down: [.postgres: [#"DROP TABLE "mcp_session""#], .sqlite: [#"DROP TABLE "mcp_session""#]])
}
