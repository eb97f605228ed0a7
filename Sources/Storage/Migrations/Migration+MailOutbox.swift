extension Migration {
    /// The outbox: every mail Stoa sends (password reset, email verification, change of email) is
    /// first a row here, written in the transaction of the token it carries, then sent by the
    /// mail worker. `status` is `pending` (due at `next_attempt_at`), `sending` (claimed by a
    /// worker until `next_attempt_at`, after which another may take it), `sent` or `failed`.
    /// `attempts` counts claims and fences a stale worker's update. `give_up_at` is when retrying
    /// stops. A sent mail's bodies are cleared, so its link does not linger.
    static let mailOutbox = Migration(
        version: 8,
        name: "mail_outbox (mails waiting to be sent)",
        up: [
            .postgres: [
                """
                CREATE TABLE "mail_outbox" ("id" text PRIMARY KEY, "recipient" text NOT NULL, "name" text, "subject" text NOT NULL, \
                "text" text NOT NULL, "html" text NOT NULL, "kind" text NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL DEFAULT 0, \
                "next_attempt_at" timestamptz NOT NULL, "give_up_at" timestamptz NOT NULL, "last_error" text, \
                "created_at" timestamptz NOT NULL, "sent_at" timestamptz)
                """,
                #"CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox" ("status", "next_attempt_at")"#,
                #"CREATE INDEX "mail_outbox_recipient_idx" ON "mail_outbox" ("recipient", "kind", "created_at")"#,
                #"CREATE INDEX "mail_outbox_created_idx" ON "mail_outbox" ("created_at", "id")"#,
            ],
            .sqlite: [
                """
                CREATE TABLE "mail_outbox" ("id" text PRIMARY KEY, "recipient" text NOT NULL, "name" text, "subject" text NOT NULL, \
                "text" text NOT NULL, "html" text NOT NULL, "kind" text NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL DEFAULT 0, \
                "next_attempt_at" date NOT NULL, "give_up_at" date NOT NULL, "last_error" text, \
                "created_at" date NOT NULL, "sent_at" date)
                """,
                #"CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox" ("status", "next_attempt_at")"#,
                #"CREATE INDEX "mail_outbox_recipient_idx" ON "mail_outbox" ("recipient", "kind", "created_at")"#,
                #"CREATE INDEX "mail_outbox_created_idx" ON "mail_outbox" ("created_at", "id")"#,
            ],
        ],
        down: [.postgres: [#"DROP TABLE IF EXISTS "mail_outbox""#], .sqlite: [#"DROP TABLE IF EXISTS "mail_outbox""#]])
}
