import Foundation
import StoaCore

/// Persistence for users, accounts, sessions and verification tokens.
/// Every method that reads a user's data takes that user's id.
public protocol AuthStore: Sendable {
    /// Creates the user and its credential account together; throws ``AuthStoreError/emailTaken``.
    func createUser(_ user: User, account: Account) async throws
    func user(email: String) async throws -> User?
    func user(id: String) async throws -> User?
    func credentialAccount(userID: String) async throws -> Account?
    /// Applies the given changes; `image` is `.some(nil)` to clear it.
    func updateUser(id: String, name: String?, image: String??, at: Date) async throws -> User?
    func updatePassword(userID: String, hash: String, at: Date) async throws
    /// Sets the password after a reset; with `revokeSessions`, in the same transaction, deletes
    /// every session of the user and every other reset token naming them.
    func resetPassword(userID: String, hash: String, at: Date, revokeSessions: Bool) async throws
    /// Deletes the user and, through `ON DELETE CASCADE`, everything they own — in one transaction.
    func deleteUser(id: String) async throws

    func createSession(_ session: Session) async throws
    /// The session with this id (expired or not); used to reject JWTs of revoked sessions.
    /// ``SQLAuthStore`` may answer from a cache a few seconds old (`STOA_SESSION_CACHE_AGE`).
    func session(id: String) async throws -> Session?
    /// The session with this token and its user (expired or not).
    func session(token: String) async throws -> (Session, User)?
    func refreshSession(token: String, expiresAt: Date, updatedAt: Date) async throws
    func deleteSession(token: String) async throws
    /// Deletes a session only when it belongs to `userID`.
    func deleteSession(token: String, userID: String) async throws
    func deleteSessions(userID: String, except token: String?) async throws
    /// The user's sessions that have not expired at `now`.
    func activeSessions(userID: String, now: Date) async throws -> [Session]

    func createVerification(identifier: String, value: String, expiresAt: Date, at: Date) async throws
    /// Deletes the verification and returns its value if it exists and has not expired.
    func consumeVerification(identifier: String, now: Date) async throws -> String?
    /// The value of a live verification, left in place.
    func peekVerification(identifier: String, now: Date) async throws -> String?
}

public enum AuthStoreError: Error, Sendable {
    case emailTaken
}
