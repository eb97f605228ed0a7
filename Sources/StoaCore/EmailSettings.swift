/// Better Auth's email-verification and change-of-email options, and what Stoa's mails say.
public struct EmailSettings: Sendable {
    /// `STOA_APP_NAME`: the name in the mails' subjects and text.
    public var appName: String = "Stoa"
    /// `STOA_SEND_VERIFICATION_ON_SIGNUP` (Better Auth's `emailVerification.sendOnSignUp`); nil
    /// follows ``requireVerification``, as in Better Auth.
    public var sendOnSignUp: Bool? = nil
    /// `STOA_REQUIRE_EMAIL_VERIFICATION` (`emailAndPassword.requireEmailVerification`): an
    /// unverified user cannot sign in (403 `EMAIL_NOT_VERIFIED`, and a fresh mail goes out);
    /// sign-up answers `token: null` with no cookie.
    public var requireVerification: Bool = false
    /// `STOA_AUTO_SIGN_IN_AFTER_VERIFICATION` (`emailVerification.autoSignInAfterVerification`):
    /// following a verification link signs the user in.
    public var autoSignInAfterVerification: Bool = false
    /// `STOA_CHANGE_EMAIL` (`user.changeEmail.enabled`): on in Stoa, because the change only
    /// happens once the new address has followed its link.
    public var changeEmailEnabled: Bool = true
    /// Seconds a verification link stays valid (`emailVerification.expiresIn`, 3600).
    public var tokenLifetime: Int = 3600

    public init() {}

    /// Whether sign-up sends a verification mail.
    public var sendsOnSignUp: Bool { sendOnSignUp ?? requireVerification }
}
