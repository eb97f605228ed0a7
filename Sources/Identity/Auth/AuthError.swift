/// Why an auth flow refused. Each case is one of Better Auth's errors; the server turns it into
/// Better Auth's status, code and message (`StoaServer/Errors/StoaError+Domain.swift`).
public enum AuthError: Error, Sendable, Equatable {
    /// Sign-up with an email that already has an account.
    case emailTaken
    /// Sign-in with an unknown email or a wrong password (never says which).
    case wrongEmailOrPassword
    /// A password change for a user with no email-and-password account.
    case noCredentialAccount
    /// The current password given to change-password or delete-user is wrong.
    case wrongPassword
    /// A password-reset token that is unknown, used or expired.
    case invalidResetToken
    /// The user a reset token names no longer exists.
    case userNotFound
    /// Fewer than ``PasswordService/minLength`` UTF-16 units.
    case passwordTooShort
    /// More than ``PasswordService/maxLength`` UTF-16 units.
    case passwordTooLong
    /// A stored password hash that is not a Better Auth scrypt hash.
    case storedHashMalformed
    /// Every password-hashing thread is busy and the queue is full: try again in a second.
    case hashingBusy
}
