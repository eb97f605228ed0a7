extension Migration {
    /// The audit trail: one row per sign-up, sign-in (success or failure), sign-out, session
    /// revocation, password change or reset, user update or deletion and key rotation, written in
    /// the transaction of the change it records. `user_id` has no foreign key on purpose: a
    /// deleted user's rows stay (with their personal fields cleared) until retention removes them.
    static let authEvents = Migration(
        version: 6,
        name: "auth_event (audit trail)",
        up: [
            .postgres: [
                """
                CREATE TABLE "auth_event" ("id" text PRIMARY KEY, "user_id" text, "type" text NOT NULL, "email" text, \
                "ip_address" text, "user_agent" text, "detail" text, "created_at" timestamptz NOT NULL)
                """,
                #"CREATE INDEX "auth_event_user_idx" ON "auth_event" ("user_id", "created_at" DESC, "id" DESC)"#,
                #"CREATE INDEX "auth_event_created_idx" ON "auth_event" ("created_at", "id")"#,
            ],
            .sqlite: [
                """
                CREATE TABLE "auth_event" ("id" text PRIMARY KEY, "user_id" text, "type" text NOT NULL, "email" text, \
                "ip_address" text, "user_agent" text, "detail" text, "created_at" date NOT NULL)
                """,
                #"CREATE INDEX "auth_event_user_idx" ON "auth_event" ("user_id", "created_at" DESC, "id" DESC)"#,
                #"CREATE INDEX "auth_event_created_idx" ON "auth_event" ("created_at", "id")"#,
            ],
        ],
        down: [.postgres: [#"DROP TABLE IF EXISTS "auth_event""#], .sqlite: [#"DROP TABLE IF EXISTS "auth_event""#]])
}
