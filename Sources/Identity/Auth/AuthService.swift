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
    public let mailer: any Mailer
    public let logger: Logger
    /// A completed reset signs the user out everywhere and voids their other reset links
    /// (Stoa's default; Better Auth keeps both unless told otherwise).
    public var revokeSessionsOnReset = true

    public init(store: any AuthStore, passwords: PasswordService, clock: any StoaClock, settings: SessionSettings, mailer: any Mailer, logger: Logger) {
        self.store = store
        self.passwords = passwords
        self.clock = clock
        self.settings = settings
        self.mailer = mailer
        self.logger = logger
    }

    /// Who is calling, recorded on new sessions.
    public struct Client: Sendable {
        public var ipAddress: String?
        public var userAgent: String?
        public init(ipAddress: String?, userAgent: String?) { self.ipAddress = ipAddress; self.userAgent = userAgent }
    }

    // MARK: Sign-up and sign-in

    /// Creates a user with a credential account and signs them in.
    public func signUp(name: String, email: String, password: String, image: String?, remember: Bool, client: Client) async throws -> (User, Session) {
        try passwords.checkLength(password)
        let email = email.lowercased()
        if try await store.user(email: email) != nil {
            throw AuthError.emailTaken
        }
        let hash = try await passwords.hash(password)
        let now = clock.now()
        let user = User(id: RandomID.generate(), name: name, email: email, emailVerified: false, image: image, createdAt: now, updatedAt: now)
        let account = Account(id: RandomID.generate(), accountId: user.id, providerId: "credential", issuer: "local:credential",
                              userId: user.id, password: hash, createdAt: now, updatedAt: now)
        do {
            try await store.createUser(user, account: account, event: event(.signUp, userID: user.id, email: email, client: client))
        } catch AuthStoreError.emailTaken {
            throw AuthError.emailTaken
        }
        let session = try await createSession(userID: user.id, remember: remember, client: client)
        return (user, session)
    }

    /// Checks email and password. Unknown users, missing credentials and wrong passwords all
    /// fail the same way after the same amount of hashing.
    public func signIn(email: String, password: String, remember: Bool, client: Client) async throws -> (User, Session) {
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

    /// Starts a reset for `email` when such a user exists; answers the same either way.
    /// - Parameter linkBase: Stoa's auth base URL (`…/api/auth`).
    public func requestPasswordReset(email: String, redirectTo: String?, linkBase: String, client: Client) async throws {
        // Known and unknown addresses do the same work (a lookup and a token row) and answer in
        // the same time; a row for an unknown address names no user and can never reset anything.
        let user = try await store.user(email: email.lowercased())
        let token = RandomID.generate(24)
        let now = clock.now()
        // The audit row names the address as typed (the only way to see requests for unknown ones).
        try await store.createVerification(identifier: "reset-password:\(token)", value: user?.id ?? "", expiresAt: now.addingTimeInterval(Self.resetLifetime),
                                           at: now, event: event(.passwordResetRequested, userID: user?.id, email: email, client: client))
        guard let user else { return }
        let callback = URIComponent.encode(redirectTo ?? "/")
        let url = "\(linkBase)/reset-password/\(token)?callbackURL=\(callback)"
        // Sent off the request path, so the mail transport's time does not tell who has an account.
        let mailer = self.mailer, logger = self.logger
        Task.detached {
            do { try await mailer.sendPasswordReset(to: user.email, userID: user.id, url: url) } catch {
                logger.error("password reset mail failed", metadata: ["user": "\(user.id)", "error": "\(String(reflecting: type(of: error)))"])
            }
        }
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
