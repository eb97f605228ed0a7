import Foundation
import StoaCore

/// Better Auth's email verification and change of email (`email-verification.ts`,
/// `update-user.ts`): stateless HS256 links, mails queued in the outbox with their audit event.
extension AuthService {
    /// At most this many verification mails per address in ``verificationMailWindow`` through
    /// send-verification-email (the route's own rate limit is per client address).
    static let verificationMailsPerWindow = 3
    static let verificationMailWindow: TimeInterval = 600
    /// A refused sign-in of an unverified user sends a fresh mail at most this often per address.
    static let signInMailInterval: TimeInterval = 60

    /// The current time in whole seconds, as JWT claims count it.
    var nowSeconds: Int { Int(clock.now().timeIntervalSince1970.rounded(.down)) }

    /// A signed verification token for `email` (and `updateTo`, `requestType` for a change).
    public func verificationToken(email: String, updateTo: String? = nil, requestType: String? = nil) -> String {
        let now = nowSeconds
        return EmailVerificationToken(email: email, updateTo: updateTo, requestType: requestType, issuedAt: now,
                                      expiresAt: now + self.email.tokenLifetime).signed(secret: secrets.first ?? "")
    }

    /// Better Auth's link: `…/verify-email?token=T&callbackURL=<encoded, default />`.
    func verificationURL(token: String, callbackURL: String?) -> String {
        let callback = callbackURL.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        return "\(authBaseURL)/verify-email?token=\(token)&callbackURL=\(URIComponent.encode(callback))"
    }

    /// The verification mail for `user`'s current address, with its audit event.
    func verificationMail(for user: User, callbackURL: String?, reason: String, client: Client?) -> QueuedMail {
        let url = verificationURL(token: verificationToken(email: user.email), callbackURL: callbackURL)
        return QueuedMail(kind: .verifyEmail, mail: templates.verifyEmail(to: user.email, name: user.name, url: url),
                          event: event(.emailVerificationSent, userID: user.id, client: client, detail: .object([("reason", .string(reason))])))
    }

    /// Queues a verification mail unless `limit` mails of the kind went to the address within
    /// `window`; returns whether one was queued. Never throws: the caller's answer does not depend on it.
    @discardableResult
    func queueThrottled(_ mail: QueuedMail, limit: Int, window: TimeInterval) async -> Bool {
        do {
            let recent = try await MailOutbox.recentCount(recipient: mail.mail.to, kind: mail.kind, since: clock.now().addingTimeInterval(-window),
                                                          on: outbox.db)
            guard recent < limit else {
                logger.info("verification mail not sent: too many for this address lately", metadata: ["kind": "\(mail.kind.rawValue)"])
                return false
            }
            try await store.queueMail(mail)
            outbox.waker.wake()
            return true
        } catch {
            logger.error("could not queue a verification mail", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return false
        }
    }

    /// The fresh mail of a refused sign-in (Better Auth's `sendOnSignIn`, on in Stoa), throttled.
    func resendOnSignIn(_ user: User, callbackURL: String?, client: Client) async {
        await queueThrottled(verificationMail(for: user, callbackURL: callbackURL, reason: "sign_in", client: client),
                             limit: 1, window: Self.signInMailInterval)
    }

    /// `POST /send-verification-email`. With a session the address must be the session's and not
    /// yet verified. Without one, an unknown or verified address is answered like any other (the
    /// caller pads the time); only an unverified account gets a mail. Throttled per address.
    public func sendVerificationEmail(email: String, callbackURL: String?, session: CurrentSession?, client: Client) async throws {
        let email = email.lowercased()
        let user: User
        if let session {
            guard session.user.email.lowercased() == email else { throw AuthError.emailMismatch }
            guard !session.user.emailVerified else { throw AuthError.emailAlreadyVerified }
            user = session.user
        } else {
            guard let found = try await store.user(email: email), !found.emailVerified else {
                _ = verificationToken(email: email)   // the same signing work as for a real account
                return
            }
            user = found
        }
        await queueThrottled(verificationMail(for: user, callbackURL: callbackURL, reason: "request", client: client),
                             limit: Self.verificationMailsPerWindow, window: Self.verificationMailWindow)
    }

    /// What following a verification link did.
    public enum LinkOutcome: Sendable {
        /// The address is verified (now or before). `session` is a new session to set as a
        /// cookie (auto sign-in), `user` the user to answer for a change of email.
        case verified(session: Session?, user: User?)
        /// A change-of-email confirmation: the link for the new address was sent.
        case confirmationSent
    }

    /// `GET /verify-email`: checks the token and applies it. `current` is the caller's session, if any.
    public func followVerificationLink(token: String, callbackURL: String?, current: CurrentSession?, client: Client) async throws -> LinkOutcome {
        let claims: EmailVerificationToken
        do {
            claims = try EmailVerificationToken.verify(token, secrets: secrets, now: nowSeconds)
        } catch .expired {
            throw EmailLinkError.tokenExpired
        } catch {
            throw EmailLinkError.invalidToken
        }
        guard let user = try await store.user(email: claims.email) else { throw EmailLinkError.userNotFound }
        if let updateTo = claims.updateTo {
            if let current, current.user.email != claims.email { throw EmailLinkError.invalidUser }
            return try await changeEmail(user: user, to: updateTo, claims: claims, callbackURL: callbackURL, current: current, client: client)
        }
        if user.emailVerified { return .verified(session: nil, user: nil) }
        guard try await store.markEmailVerified(userID: user.id, at: clock.now(), event: event(.emailVerified, userID: user.id, client: client)) != nil else {
            throw EmailLinkError.userNotFound
        }
        guard email.autoSignInAfterVerification else { return .verified(session: nil, user: nil) }
        // Better Auth keeps the caller's session when it is this user's, else signs them in anew.
        if let current, current.user.email == claims.email { return .verified(session: current.session, user: nil) }
        return .verified(session: try await createSession(userID: user.id, remember: true, client: client), user: nil)
    }

    /// The change-of-email branches of verify-email.
    func changeEmail(user: User, to newEmail: String, claims: EmailVerificationToken, callbackURL: String?, current: CurrentSession?,
                     client: Client) async throws -> LinkOutcome {
        switch claims.requestType {
        case EmailVerificationToken.changeEmailConfirmation?:
            // The old address confirmed (a Better Auth link): now the new one gets its link.
            let token = verificationToken(email: claims.email, updateTo: newEmail, requestType: EmailVerificationToken.changeEmailVerification)
            let mail = QueuedMail(kind: .changeEmail,
                                  mail: templates.changeEmail(to: newEmail, name: user.name, url: verificationURL(token: token, callbackURL: callbackURL)),
                                  event: event(.emailChangeRequested, userID: user.id, email: newEmail, client: client))
            try await store.queueMail(mail)
            outbox.waker.wake()
            return .confirmationSent
        case EmailVerificationToken.changeEmailVerification?:
            let changed = try await applyChange(user: user, from: claims.email, to: newEmail, verified: true, mail: nil, client: client)
            let session = try await sessionFor(user, current: current, client: client)
            return .verified(session: session, user: changed)
        default:
            // Better Auth's legacy one-step link: the address changes at once, unverified, and
            // the new address gets a link to verify it.
            let pending = User(id: user.id, name: user.name, email: newEmail, emailVerified: false, image: user.image,
                               createdAt: user.createdAt, updatedAt: user.updatedAt)
            let mail = verificationMail(for: pending, callbackURL: callbackURL, reason: "change_email", client: client)
            let changed = try await applyChange(user: user, from: claims.email, to: newEmail, verified: false, mail: mail, client: client)
            outbox.waker.wake()
            let session = try await sessionFor(user, current: current, client: client)
            return .verified(session: session, user: changed)
        }
    }

    /// The caller's session when there is one, else a new one for `user` (Better Auth signs the
    /// follower of a change-of-email link in).
    func sessionFor(_ user: User, current: CurrentSession?, client: Client) async throws -> Session {
        if let current { return current.session }
        return try await createSession(userID: user.id, remember: true, client: client)
    }

    func applyChange(user: User, from: String, to: String, verified: Bool, mail: QueuedMail?, client: Client) async throws -> User {
        do {
            guard let changed = try await store.changeEmail(
                userID: user.id, from: from, to: to, verified: verified, at: clock.now(),
                event: event(.emailChanged, userID: user.id, email: to, client: client, detail: .object([("verified", .bool(verified))])), mail: mail)
            else { throw EmailLinkError.userNotFound }
            return changed
        } catch AuthStoreError.emailTaken {
            throw EmailLinkError.emailTaken
        }
    }

    /// `POST /change-email`: queues the verification of `newEmail` (Better Auth's
    /// `change-email-verification` link); the address changes when the link is followed. A new
    /// address that is already someone's answers the same and sends nothing.
    public func requestEmailChange(user: User, newEmail: String, callbackURL: String?, client: Client) async throws {
        guard email.changeEmailEnabled else { throw AuthError.changeEmailDisabled }
        let newEmail = newEmail.lowercased()
        guard newEmail != user.email else { throw AuthError.emailIsSame }
        let token = verificationToken(email: user.email, updateTo: newEmail, requestType: EmailVerificationToken.changeEmailVerification)
        // The audit row is the same either way, so the user's own activity does not tell either.
        let record = event(.emailChangeRequested, userID: user.id, email: newEmail, client: client)
        if try await store.user(email: newEmail) != nil {
            logger.info("change of email to an address that is taken: nothing sent", metadata: ["user": "\(user.id)"])
            try await store.recordEvent(record)
            return
        }
        let mail = QueuedMail(kind: .changeEmail,
                              mail: templates.changeEmail(to: newEmail, name: user.name, url: verificationURL(token: token, callbackURL: callbackURL)),
                              event: record)
        await queueThrottled(mail, limit: Self.verificationMailsPerWindow, window: Self.verificationMailWindow)
    }
}
