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
    /// Sign-in of an unverified user while verification is required (a fresh mail went out).
    case emailNotVerified
    /// send-verification-email with a session for another address than the session's.
    case emailMismatch
    /// send-verification-email with a session whose address is already verified.
    case emailAlreadyVerified
    /// change-email while `STOA_CHANGE_EMAIL=off`.
    case changeEmailDisabled
    /// change-email to the address the user already has.
    case emailIsSame
}

/// Why a verification link (`GET /verify-email`) was refused; the server answers 401 with the
/// code, or redirects to the link's `callbackURL` with `?error=CODE`.
public enum EmailLinkError: Error, Sendable, Equatable {
    case invalidToken
    case tokenExpired
    case userNotFound
    /// A change-of-email link followed while signed in as someone else.
    case invalidUser
    /// The new address of a change of email was taken in the meantime.
    case emailTaken

    /// Better Auth's error code.
    public var code: String {
        switch self {
        case .invalidToken: "INVALID_TOKEN"
        case .tokenExpired: "TOKEN_EXPIRED"
        case .userNotFound: "USER_NOT_FOUND"
        case .invalidUser: "INVALID_USER"
        case .emailTaken: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
        }
    }

    /// Better Auth's message for the code.
    public var message: String {
        switch self {
        case .invalidToken: "Invalid token"
        case .tokenExpired: "Token expired"
        case .userNotFound: "User not found"
        case .invalidUser: "Invalid user"
        case .emailTaken: "User already exists. Use another email."
        }
    }
}
