import Foundation

/// A change that other processes sharing the database must hear about at once, because they
/// may hold a copy of what changed in memory (sessions and users for a few seconds, signing
/// keys for a minute).
///
/// On PostgreSQL a change is announced with `NOTIFY` on ``DatabaseChange/channel`` and every
/// replica that listens (``DatabaseChangeListening``) forgets its copies within milliseconds.
/// SQLite has no such channel: there the caches' own age bounds how stale a copy can be.
public enum DatabaseChange: String, Sendable, CaseIterable {
    /// Sessions were deleted (sign-out, revocation, a password reset, a deleted user).
    case sessions
    /// A user's profile changed, or the user was deleted.
    case users
    /// Signing keys were minted, retired or pruned.
    case keys

    /// The PostgreSQL notification channel.
    public static let channel = "stoa_changes"
}

extension SQLExecutor {
    /// Announces `change` to every process listening on this database. Inside a transaction
    /// PostgreSQL delivers it when the transaction commits (never for one rolled back); outside
    /// one, at once. Does nothing on SQLite.
    public func announce(_ change: DatabaseChange) async throws {
        guard dialect == .postgres else { return }
        _ = try await query("SELECT pg_notify(?, ?)", [.text(DatabaseChange.channel), .text(change.rawValue)])
    }
}

/// A database whose changes can be heard as they happen (PostgreSQL's `LISTEN`).
public protocol DatabaseChangeListening: Database {
    /// Listens until the task is cancelled, calling `handler` with each change announced by any
    /// process (this one included). When listening starts, and again after every reconnection,
    /// `handler` gets `nil`: "anything may have changed while nobody listened".
    func listenForChanges(_ handler: @escaping @Sendable (DatabaseChange?) async -> Void) async
}
