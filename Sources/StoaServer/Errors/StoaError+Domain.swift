import Identity
import Knowledge
import StoaCore

/// The one place where domain errors become HTTP answers: Better Auth's status, code and
/// message for ``AuthError``, `400 VALIDATION_ERROR` for ``InvalidInput``.
extension StoaError {
    init(_ error: AuthError) {
        switch error {
        case .emailTaken:
            self.init(status: 422, code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", message: "User already exists. Use another email.")
        case .wrongEmailOrPassword:
            self.init(status: 401, code: "INVALID_EMAIL_OR_PASSWORD", message: "Invalid email or password")
        case .noCredentialAccount: self = .badRequest("CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
        case .wrongPassword: self = .badRequest("INVALID_PASSWORD", "Invalid password")
        case .invalidResetToken: self = .badRequest("INVALID_TOKEN", "Invalid token")
        case .userNotFound: self = .badRequest("USER_NOT_FOUND", "User not found")
        case .passwordTooShort: self = .badRequest("PASSWORD_TOO_SHORT", "Password too short")
        case .passwordTooLong: self = .badRequest("PASSWORD_TOO_LONG", "Password too long")
        // Better Auth answers a hash it cannot read with a bare 500.
        case .storedHashMalformed: self.init(status: 500, code: nil, message: nil, emptyBody: true)
        case .hashingBusy: self = .unavailable("The server is busy. Please try again in a moment.", retryAfter: 1)
        case .emailNotVerified: self = .forbidden("EMAIL_NOT_VERIFIED", "Email not verified")
        case .emailMismatch: self = .badRequest("EMAIL_MISMATCH", "Email mismatch")
        case .emailAlreadyVerified: self = .badRequest("EMAIL_ALREADY_VERIFIED", "Email is already verified")
        case .changeEmailDisabled: self = .badRequest("CHANGE_EMAIL_DISABLED", "Change email is disabled")
        case .emailIsSame: self.init(status: 400, code: nil, message: "Email is the same")
        }
    }

    init(_ error: InvalidInput) {
        self = .validation(error.message)
    }

    init(_ error: IngestError) {
        self.init(status: 400, code: "INVALID_PATH", message: error.message)
    }

    /// The HTTP form of a domain error, or nil for errors that are not one.
    static func from(domain error: any Error) -> StoaError? {
        switch error {
        case let error as StoaError: return error
        case let error as AuthError: return StoaError(error)
        case let error as EmailLinkError: return StoaError(status: 401, code: error.code, message: error.message)
        case let error as InvalidInput: return StoaError(error)
        case let error as IngestError: return StoaError(error)
        default: return nil
        }
    }
}
