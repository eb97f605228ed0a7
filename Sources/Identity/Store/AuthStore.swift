import Foundation
import StoaCore

/// Persistence for users, accounts, sessions and verification tokens.
/// Every method that reads a user's data takes that user's id.
public protocol AuthStore: Sendable {
    /// Creates the user and its credential account together; throws ``AuthStoreError/emailTaken``.
    ///
    /// Every write takes the audit `event` it should record (nil: none) and writes it in the
    /// same transaction as the change (see ``AuthEventStore``).
    /// `mail` (a verification mail on sign-up) is queued in the same transaction.
    func createUser(_ user: User, account: Account, event: AuthEvent?, mail: QueuedMail?) async throws
    func user(email: String) async throws -> User?
    func user(id: String) async throws -> User?
    func credentialAccount(userID: String) async throws -> Account?
    /// Applies the given changes; `image` is `.some(nil)` to clear it.
    func updateUser(id: String, name: String?, image: String??, at: Date, event: AuthEvent?) async throws -> User?
    func updatePassword(userID: String, hash: String, at: Date, event: AuthEvent?) async throws
    /// Sets the password after a reset; with `revokeSessions`, in the same transaction, deletes
    /// every session of the user and every other reset token naming them.
    func resetPassword(userID: String, hash: String, at: Date, revokeSessions: Bool, event: AuthEvent?) async throws
    /// Deletes the user and, through `ON DELETE CASCADE`, everything they own — in one transaction,
    /// which also clears the personal fields of their audit rows (the rows stay) and records `event`
    /// without personal fields.
    func deleteUser(id: String, event: AuthEvent?) async throws

    func createSession(_ session: Session, event: AuthEvent?) async throws
    /// The session with this id (expired or not); used to reject JWTs of revoked sessions.
    /// ``SQLAuthStore`` may answer from a cache a few seconds old (`STOA_SESSION_CACHE_AGE`).
    func session(id: String) async throws -> Session?
    /// The session with this token and its user (expired or not).
    func session(token: String) async throws -> (Session, User)?
    func refreshSession(token: String, expiresAt: Date, updatedAt: Date) async throws
    /// Deletes a session; `event` (its user id filled from the row) is recorded only when one went.
    func deleteSession(token: String, event: AuthEvent?) async throws
    /// Deletes a session only when it belongs to `userID`; `event` is recorded only when one went.
    func deleteSession(token: String, userID: String, event: AuthEvent?) async throws
    /// Deletes the user's sessions (but `token`); `event` gets `count` in its detail.
    func deleteSessions(userID: String, except token: String?, event: AuthEvent?) async throws
    /// The user's sessions that have not expired at `now`.
    func activeSessions(userID: String, now: Date) async throws -> [Session]

    /// Writes a verification row; `mail` (the reset mail carrying it) is queued in the same transaction.
    func createVerification(identifier: String, value: String, expiresAt: Date, at: Date, event: AuthEvent?, mail: QueuedMail?) async throws
    /// Queues a mail that goes with no other change (a verification mail), with its audit event.
    func queueMail(_ mail: QueuedMail) async throws
    /// Marks the user's address verified; returns the user as it is now (nil: no such user).
    func markEmailVerified(userID: String, at: Date, event: AuthEvent?) async throws -> User?
    /// Changes the user's address from `from` to `to` (only while it still is `from`), with
    /// `verified` as its verification state; throws ``AuthStoreError/emailTaken`` when `to` is
    /// another user's. `mail` is queued in the same transaction. Returns the user as it is now,
    /// or nil when there is no such user with that address.
    func changeEmail(userID: String, from: String, to: String, verified: Bool, at: Date, event: AuthEvent?, mail: QueuedMail?) async throws -> User?
    /// Writes an event that goes with no change (a failed sign-in), on its own.
    func recordEvent(_ event: AuthEvent) async throws
    /// Deletes the verification and returns its value if it exists and has not expired.
    func consumeVerification(identifier: String, now: Date) async throws -> String?
    /// The value of a live verification, left in place.
    func peekVerification(identifier: String, now: Date) async throws -> String?
}

/// The writes without an audit event (operator tools, tests, internal clean-up).
extension AuthStore {
    public func createUser(_ user: User, account: Account) async throws { try await createUser(user, account: account, event: nil, mail: nil) }
    public func createUser(_ user: User, account: Account, event: AuthEvent?) async throws { try await createUser(user, account: account, event: event, mail: nil) }
    public func updateUser(id: String, name: String?, image: String??, at: Date) async throws -> User? {
        try await updateUser(id: id, name: name, image: image, at: at, event: nil)
    }
    public func updatePassword(userID: String, hash: String, at: Date) async throws { try await updatePassword(userID: userID, hash: hash, at: at, event: nil) }
    public func resetPassword(userID: String, hash: String, at: Date, revokeSessions: Bool) async throws {
        try await resetPassword(userID: userID, hash: hash, at: at, revokeSessions: revokeSessions, event: nil)
    }
    public func deleteUser(id: String) async throws { try await deleteUser(id: id, event: nil) }
    public func createSession(_ session: Session) async throws { try await createSession(session, event: nil) }
    public func deleteSession(token: String) async throws { try await deleteSession(token: token, event: nil) }
    public func deleteSession(token: String, userID: String) async throws { try await deleteSession(token: token, userID: userID, event: nil) }
    public func deleteSessions(userID: String, except token: String?) async throws { try await deleteSessions(userID: userID, except: token, event: nil) }
    public func createVerification(identifier: String, value: String, expiresAt: Date, at: Date) async throws {
        try await createVerification(identifier: identifier, value: value, expiresAt: expiresAt, at: at, event: nil, mail: nil)
    }
    public func createVerification(identifier: String, value: String, expiresAt: Date, at: Date, event: AuthEvent?) async throws {
        try await createVerification(identifier: identifier, value: value, expiresAt: expiresAt, at: at, event: event, mail: nil)
    }
}

public enum AuthStoreError: Error, Sendable {
    case emailTaken
}
