import Foundation
import StoaCore
import Storage

/// The `mail_outbox` table: mails are queued in the transaction of the change they announce
/// (``enqueue(_:at:giveUpAfter:on:)``), claimed by the mail worker (``claim(limit:lease:)``)
/// and marked sent, rescheduled or failed. ``waker`` wakes this process's worker after a commit.
public struct MailOutbox: Sendable {
    let db: any Database
    let clock: any StoaClock
    public let waker: MailWaker
    /// How long a queued mail is retried before it is marked failed.
    public var retryFor: TimeInterval = 3 * 86_400

    public init(database: any Database, clock: any StoaClock, waker: MailWaker = MailWaker()) {
        db = database
        self.clock = clock
        self.waker = waker
    }

    static let columns = #""id", "recipient", "name", "subject", "text", "html", "kind", "status", "attempts", "next_attempt_at", "give_up_at", "last_error", "created_at", "sent_at""#

    /// The longest error text kept (transport replies can be long).
    static let maxErrorBytes = 500

    /// Writes `queued` as a pending mail due at once, with `executor`: pass the transaction of the
    /// change it announces, so a rolled-back change leaves no mail. Returns the row's id.
    @discardableResult
    public static func enqueue(_ queued: QueuedMail, at now: Date, giveUpAfter: TimeInterval = 3 * 86_400, on executor: any SQLExecutor) async throws -> String {
        let id = UUIDv7.generate(at: now)
        let mail = queued.mail
        _ = try await executor.query(
            #"INSERT INTO "mail_outbox" (\#(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, NULL, ?, NULL)"#,
            [.text(id), .text(mail.to), .optional(mail.toName), .text(mail.subject), .text(mail.text), .text(mail.html),
             .text(queued.kind.rawValue), .date(now), .date(now.addingTimeInterval(giveUpAfter)), .date(now)])
        return id
    }

    /// Queues a mail on its own (no other change goes with it) and wakes the worker.
    @discardableResult
    public func enqueue(_ queued: QueuedMail) async throws -> String {
        let id = try await Self.enqueue(queued, at: clock.now(), giveUpAfter: retryFor, on: db)
        waker.wake()
        return id
    }

    /// Claims up to `limit` due mails for one delivery attempt each: pending ones whose time has
    /// come, and sending ones whose claim ran out (a worker that died mid-send). Each claimed row
    /// becomes `sending` until `now + lease`, with `attempts` one higher. The claim is one
    /// statement, with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never take the same row.
    public func claim(limit: Int, lease: TimeInterval) async throws -> [OutboxEntry] {
        let now = clock.now()
        let lock = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let sql = """
            UPDATE "mail_outbox" SET "status" = 'sending', "attempts" = "attempts" + 1, "next_attempt_at" = ? \
            WHERE "id" IN (SELECT "id" FROM "mail_outbox" WHERE "status" IN ('pending', 'sending') AND "next_attempt_at" <= ? \
            ORDER BY "next_attempt_at", "id" LIMIT ?\(lock)) AND "status" IN ('pending', 'sending') AND "next_attempt_at" <= ? \
            RETURNING \(Self.columns)
            """
        let rows = try await db.query(sql, [.date(now.addingTimeInterval(lease)), .date(now), .int(Int64(limit)), .date(now)])
        return try rows.map(Self.entry).sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
    }

    /// Marks a claimed mail sent and clears its bodies. `attempt` is the claim's `attempts`: a
    /// worker whose claim was taken over changes nothing. Returns whether the row was still its own.
    @discardableResult
    public func markSent(id: String, attempt: Int) async throws -> Bool {
        try await !db.query(
            #"UPDATE "mail_outbox" SET "status" = 'sent', "sent_at" = ?, "text" = '', "html" = '', "last_error" = NULL WHERE "id" = ? AND "status" = 'sending' AND "attempts" = ? RETURNING "id""#,
            [.date(clock.now()), .text(id), .int(Int64(attempt))]).isEmpty
    }

    /// Puts a claimed mail back, due at `next`, with the error that stopped it.
    @discardableResult
    public func reschedule(id: String, attempt: Int, next: Date, error: String) async throws -> Bool {
        try await !db.query(
            #"UPDATE "mail_outbox" SET "status" = 'pending', "next_attempt_at" = ?, "last_error" = ? WHERE "id" = ? AND "status" = 'sending' AND "attempts" = ? RETURNING "id""#,
            [.date(next), .text(Self.clip(error)), .text(id), .int(Int64(attempt))]).isEmpty
    }

    /// Marks a claimed mail failed for good (a permanent refusal, or retried past `give_up_at`).
    @discardableResult
    public func markFailed(id: String, attempt: Int, error: String) async throws -> Bool {
        try await !db.query(
            #"UPDATE "mail_outbox" SET "status" = 'failed', "last_error" = ? WHERE "id" = ? AND "status" = 'sending' AND "attempts" = ? RETURNING "id""#,
            [.text(Self.clip(error)), .text(id), .int(Int64(attempt))]).isEmpty
    }

    /// Makes a pending or failed mail due now, retried for another ``retryFor`` (`stoa mail retry`).
    /// Returns the row, or nil when there is no such mail or it was sent or is being sent.
    public func retry(id: String) async throws -> OutboxEntry? {
        let now = clock.now()
        let row = try await db.query(
            #"UPDATE "mail_outbox" SET "status" = 'pending', "next_attempt_at" = ?, "give_up_at" = ? WHERE "id" = ? AND "status" IN ('pending', 'failed') RETURNING \#(Self.columns)"#,
            [.date(now), .date(now.addingTimeInterval(retryFor)), .text(id)]).first
        waker.wake()
        return try row.map(Self.entry)
    }

    /// One mail by id.
    public func entry(id: String) async throws -> OutboxEntry? {
        try await db.first(#"SELECT \#(Self.columns) FROM "mail_outbox" WHERE "id" = ?"#, id).map(Self.entry)
    }

    /// Mails newest first; only those not yet sent or failed with `pendingOnly`.
    public func list(pendingOnly: Bool = false, limit: Int = 100) async throws -> [OutboxEntry] {
        let filter = pendingOnly ? #" WHERE "status" IN ('pending', 'sending')"# : ""
        return try await db.query(#"SELECT \#(Self.columns) FROM "mail_outbox"\#(filter) ORDER BY "created_at" DESC, "id" DESC LIMIT ?"#,
                                  [.int(Int64(limit))]).map(Self.entry)
    }

    /// How many mails of `kind` were queued for `recipient` since `since` (per-address throttles).
    public static func recentCount(recipient: String, kind: MailKind, since: Date, on executor: any SQLExecutor) async throws -> Int {
        let row = try await executor.query(
            #"SELECT COUNT(*) AS "n" FROM "mail_outbox" WHERE "recipient" = ? AND "kind" = ? AND "created_at" >= ?"#,
            [.text(recipient), .text(kind.rawValue), .date(since)]).first
        return Int(try row?.int("n") ?? 0)
    }

    /// Deletes sent and failed mails older than `cutoff`; returns how many went.
    @discardableResult
    public func deleteFinished(before cutoff: Date) async throws -> Int {
        try await db.query(#"DELETE FROM "mail_outbox" WHERE "status" IN ('sent', 'failed') AND "created_at" < ? RETURNING "id""#, [.date(cutoff)]).count
    }

    static func clip(_ text: String) -> String { AuthEvent.truncated(text, bytes: maxErrorBytes) }

    static func entry(_ row: DatabaseRow) throws -> OutboxEntry {
        OutboxEntry(
            id: try row.string("id"), kind: MailKind(rawValue: try row.string("kind")),
            mail: OutgoingMail(to: try row.string("recipient"), toName: row.optionalString("name"), subject: try row.string("subject"),
                               text: try row.string("text"), html: try row.string("html")),
            status: OutboxEntry.Status(rawValue: try row.string("status")) ?? .failed, attempts: Int(try row.int("attempts")),
            nextAttemptAt: try row.date("next_attempt_at"), giveUpAt: try row.date("give_up_at"), lastError: row.optionalString("last_error"),
            createdAt: try row.date("created_at"), sentAt: row.optionalDate("sent_at"))
    }
}
