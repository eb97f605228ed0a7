import Foundation
import Logging
import StoaCore

/// The email/password flows of Better Auth, independent of HTTP: the server turns these
/// results into JSON and cookies.
public struct AuthService: Sendable {
    public let store: any AuthStore
    public let passwords: PasswordService
    public let clock: any StoaClock
    public let settings: SessionSettings
    /// Where mails are queued (reset, verification, change of email); the mail worker sends them.
    public let outbox: MailOutbox
    public let logger: Logger
    /// A completed reset signs the user out everywhere and voids their other reset links
    /// (Stoa's default; Better Auth keeps both unless told otherwise).
    public var revokeSessionsOnReset = true
    /// Email verification and change-of-email options.
    public var email = EmailSettings()
    /// The mails' wording (`STOA_APP_NAME`).
    public var templates = MailTemplates()
    /// Secrets, newest first: the first signs verification links, all of them verify.
    public var secrets: [String] = []
    /// Better Auth's base URL with its base path (`…/api/auth`): links in mails point here.
    public var authBaseURL = "http://127.0.0.1:8080/api/auth"

    public init(store: any AuthStore, passwords: PasswordService, clock: any StoaClock, settings: SessionSettings, outbox: MailOutbox, logger: Logger) {
        self.store = store
        self.passwords = passwords
        self.clock = clock
        self.settings = settings
        self.outbox = outbox
        self.logger = logger
    }

    /// Who is calling, recorded on new sessions.
    public struct Client: Sendable {
        public var ipAddress: String?
        public var userAgent: String?
        public init(ipAddress: String?, userAgent: String?) { self.ipAddress = ipAddress; self.userAgent = userAgent }
    }

    // MARK: Sign-up and sign-in

    /// Creates a user with a credential account and signs them in. With required verification
    /// (Better Auth's rule) nobody is signed in, and an address that is taken answers like a new
    /// one: a made-up user, the same hashing, and no mail. A verification mail goes out in the
    /// transaction that creates the user when ``EmailSettings/sendsOnSignUp``.
    public func signUp(name: String, email: String, password: String, image: String?, remember: Bool, callbackURL: String? = nil,
                       client: Client) async throws -> (User, Session?) {
        try passwords.checkLength(password)
        let email = email.lowercased()
        let hidesDuplicates = self.email.requireVerification
        if try await store.user(email: email) != nil {
            guard hidesDuplicates else { throw AuthError.emailTaken }
            return (try await syntheticUser(name: name, email: email, password: password, image: image), nil)
        }
        let hash = try await passwords.hash(password)
        let now = clock.now()
        let user = User(id: RandomID.generate(), name: name, email: email, emailVerified: false, image: image, createdAt: now, updatedAt: now)
        let account = Account(id: RandomID.generate(), accountId: user.id, providerId: "credential", issuer: "local:credential",
                              userId: user.id, password: hash, createdAt: now, updatedAt: now)
        let mail = self.email.sendsOnSignUp ? verificationMail(for: user, callbackURL: callbackURL, reason: "sign_up", client: client) : nil
        do {
            try await store.createUser(user, account: account, event: event(.signUp, userID: user.id, email: email, client: client), mail: mail)
        } catch AuthStoreError.emailTaken {
            guard hidesDuplicates else { throw AuthError.emailTaken }
            return (try await syntheticUser(name: name, email: email, password: nil, image: image), nil)
        }
        if mail != nil { outbox.waker.wake() }
        guard !hidesDuplicates else { return (user, nil) }
        let session = try await createSession(userID: user.id, remember: remember, client: client)
        return (user, session)
    }

    /// The answer to a sign-up for a taken address while duplicates are hidden: a user that does
    /// not exist, after the same hashing as a real sign-up.
    func syntheticUser(name: String, email: String, password: String?, image: String?) async throws -> User {
        if let password { _ = try await passwords.hash(password) }
        let now = clock.now()
        return User(id: RandomID.generate(), name: name, email: email, emailVerified: false, image: image, createdAt: now, updatedAt: now)
    }

    /// Checks email and password. Unknown users, missing credentials and wrong passwords all
    /// fail the same way after the same amount of hashing.
    /// While verification is required, an unverified user gets ``AuthError/emailNotVerified``
    /// after the password checked out, and a fresh verification mail (at most one per
    /// ``signInMailInterval`` per address, so a retrying client cannot flood the inbox).
    public func signIn(email: String, password: String, remember: Bool, callbackURL: String? = nil, client: Client) async throws -> (User, Session) {
        let invalid = AuthError.wrongEmailOrPassword
        guard let user = try await store.user(email: email.lowercased()) else {
            try await passwords.burn(password)
            await recordFailedSignIn(userID: nil, email: email, reason: "unknown_email", client: client)
            throw invalid
        }
        guard let account = try await store.credentialAccount(userID: user.id), let hash = account.password else {
            try await passwords.burn(password)
            await recordFailedSignIn(userID: user.id, email: email, reason: "no_password", client: client)
            throw invalid
        }
        guard try await passwords.verify(password, hash: hash) else {
            await recordFailedSignIn(userID: user.id, email: email, reason: "wrong_password", client: client)
            throw invalid
        }
        if self.email.requireVerification, !user.emailVerified {
            await recordFailedSignIn(userID: user.id, email: email, reason: "email_not_verified", client: client)
            await resendOnSignIn(user, callbackURL: callbackURL, client: client)
            throw AuthError.emailNotVerified
        }
        let session = try await createSession(userID: user.id, remember: remember, client: client,
                                              event: event(.signIn, userID: user.id, client: client))
        return (user, session)
    }

    /// A new session row: `expiresIn` long, or one day when the user asked not to be remembered.
    public func createSession(userID: String, remember: Bool, client: Client) async throws -> Session {
        try await createSession(userID: userID, remember: remember, client: client, event: nil)
    }

    /// A new session row, recording `event` with it.
    func createSession(userID: String, remember: Bool, client: Client, event: AuthEvent?) async throws -> Session {
        let now = clock.now()
        let lifetime = remember ? TimeInterval(settings.expiresIn) : 86_400
        let session = Session(id: RandomID.generate(), expiresAt: now.addingTimeInterval(lifetime), token: RandomID.generate(),
                              createdAt: now, updatedAt: now, ipAddress: client.ipAddress, userAgent: client.userAgent, userId: userID)
        try await store.createSession(session, event: event)
        return session
    }

    // MARK: Sessions

    /// A live session found from a token.
    public struct CurrentSession: Sendable {
        public var session: Session
        public var user: User
        /// The expiry slid forward in this call, so the cookie must be re-sent.
        public var refreshed: Bool
    }

    /// Finds a live session. An expired row is deleted. With `refresh`, the expiry slides
    /// forward once `updateAge` has passed since it was last set (Better Auth's rule).
    public func currentSession(token: String, refresh: Bool) async throws -> CurrentSession? {
        guard let (session, user) = try await store.session(token: token) else { return nil }
        let now = clock.now()
        guard session.expiresAt > now else {
            try await store.deleteSession(token: token)
            return nil
        }
        var current = CurrentSession(session: session, user: user, refreshed: false)
        let expiresIn = TimeInterval(settings.expiresIn)
        if refresh, session.expiresAt.addingTimeInterval(-expiresIn + TimeInterval(settings.updateAge)) <= now {
            current.session.expiresAt = now.addingTimeInterval(expiresIn)
            current.session.updatedAt = now
            try await store.refreshSession(token: token, expiresAt: current.session.expiresAt, updatedAt: now)
            current.refreshed = true
        }
        return current
    }

    /// Better Auth's freshness rule: measured from `createdAt`; 0 disables it.
    public func isFresh(_ session: Session) -> Bool {
        settings.freshAge == 0 || clock.now().timeIntervalSince(session.createdAt) < TimeInterval(settings.freshAge)
    }

    // MARK: Account changes

    /// Changes the password after checking the current one; optionally replaces every session with a new one.
    public func changePassword(user: User, current: String, new: String, revokeOthers: Bool, client: Client) async throws -> Session? {
        try passwords.checkLength(new)
        guard let account = try await store.credentialAccount(userID: user.id), let hash = account.password else {
            throw AuthError.noCredentialAccount
        }
        guard try await passwords.verify(current, hash: hash) else {
            throw AuthError.wrongPassword
        }
        let newHash = try await passwords.hash(new)
        try await store.updatePassword(userID: user.id, hash: newHash, at: clock.now(),
                                       event: event(.passwordChanged, userID: user.id, client: client,
                                                    detail: .object([("revokeOtherSessions", .bool(revokeOthers))])))
        guard revokeOthers else { return nil }
        try await store.deleteSessions(userID: user.id, except: nil)
        return try await createSession(userID: user.id, remember: true, client: client)
    }

    // MARK: Password reset

    static let resetLifetime: TimeInterval = 3600

    /// Starts a reset for `email` when such a user exists; answers the same either way. The reset
    /// mail is queued in the transaction that writes its token, and sent by the mail worker off
    /// the request path, so neither a slow nor a broken mail server shows in the answer.
    public func requestPasswordReset(email: String, redirectTo: String?, client: Client) async throws {
        // Known and unknown addresses do the same work (a lookup and a token row) and answer in
        // the same time; a row for an unknown address names no user and can never reset anything.
        let user = try await store.user(email: email.lowercased())
        let token = RandomID.generate(24)
        let now = clock.now()
        let mail = user.map { user in
            let url = "\(authBaseURL)/reset-password/\(token)?callbackURL=\(URIComponent.encode(redirectTo ?? "/"))"
            return QueuedMail(kind: .resetPassword, mail: templates.resetPassword(to: user.email, name: user.name, url: url))
        }
        // The audit row names the address as typed (the only way to see requests for unknown ones).
        try await store.createVerification(identifier: "reset-password:\(token)", value: user?.id ?? "", expiresAt: now.addingTimeInterval(Self.resetLifetime),
                                           at: now, event: event(.passwordResetRequested, userID: user?.id, email: email, client: client), mail: mail)
        if mail != nil { outbox.waker.wake() }
    }

    /// Whether a reset token exists and has not expired (without using it up).
    public func resetTokenIsValid(_ token: String) async throws -> Bool {
        // Read through the store by consuming and re-creating would be racy; look it up directly.
        try await store.peekVerification(identifier: "reset-password:\(token)", now: clock.now()) != nil
    }

    /// Sets a new password with a reset token; the token works once. With
    /// ``revokeSessionsOnReset`` the user's sessions and other reset links end in the same transaction.
    public func resetPassword(token: String, newPassword: String, client: Client) async throws {
        try passwords.checkLength(newPassword)
        guard let userID = try await store.consumeVerification(identifier: "reset-password:\(token)", now: clock.now()), !userID.isEmpty else {
            throw AuthError.invalidResetToken
        }
        guard try await store.credentialAccount(userID: userID) != nil else {
            throw AuthError.userNotFound
        }
        let hash = try await passwords.hash(newPassword)
        try await store.resetPassword(userID: userID, hash: hash, at: clock.now(), revokeSessions: revokeSessionsOnReset,
                                      event: event(.passwordResetCompleted, userID: userID, client: client,
                                                   detail: .object([("sessionsRevoked", .bool(revokeSessionsOnReset))])))
    }
}
