import Foundation
import StoaCore

/// What a queued mail is for; the raw value is `mail_outbox.kind`.
public struct MailKind: RawRepresentable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let resetPassword = MailKind(rawValue: "reset-password")
    public static let verifyEmail = MailKind(rawValue: "verify-email")
    /// The verification sent to the new address of a change of email.
    public static let changeEmail = MailKind(rawValue: "change-email")
}

/// A mail and what it is for, ready to be written to the outbox with the change that makes it,
/// and the audit record of its sending (written in the same transaction).
public struct QueuedMail: Sendable, Equatable {
    public var kind: MailKind
    public var mail: OutgoingMail
    public var event: AuthEvent?
    public init(kind: MailKind, mail: OutgoingMail, event: AuthEvent? = nil) { self.kind = kind; self.mail = mail; self.event = event }
}

/// One row of `mail_outbox`.
public struct OutboxEntry: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case pending, sending, sent, failed }
    public var id: String
    public var kind: MailKind
    public var mail: OutgoingMail
    public var status: Status
    /// How many times a worker has claimed it (each claim is one delivery attempt).
    public var attempts: Int
    /// When it is due (pending), or when a sending worker's claim runs out (sending).
    public var nextAttemptAt: Date
    /// After this, a failed delivery is not retried.
    public var giveUpAt: Date
    /// The last delivery error (the transport's message; never a credential or a link).
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    /// The row for `stoa mail list --json`: no bodies (they carry links).
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("kind", .string(kind.rawValue)), ("to", .string(mail.to)), ("subject", .string(mail.subject)),
            ("status", .string(status.rawValue)), ("attempts", .number(Double(attempts))),
            ("nextAttemptAt", .date(nextAttemptAt)), ("giveUpAt", .date(giveUpAt)), ("lastError", .optional(lastError)),
            ("createdAt", .date(createdAt)), ("sentAt", sentAt.map { .date($0) } ?? .null),
        ])
    }
}
