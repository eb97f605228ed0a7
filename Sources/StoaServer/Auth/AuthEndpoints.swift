import Foundation
import HTTPTypes
import Identity
import Logging
import StoaCore

/// The handlers of `/api/auth/*`. Each takes a parsed ``AuthCall`` and answers an ``AuthReply``.
struct AuthEndpoints: Sendable {
    let auth: AuthService
    let cookies: AuthCookies
    let origins: OriginPolicy
    /// Signs access JWTs (`get-session`'s `set-auth-jwt`, `/token`, `/jwks`); nil without keys.
    let tokenIssuer: AccessTokenIssuer?
    /// Better Auth's base URL with its base path (reset links point here).
    let authBaseURL: String
    let clock: any StoaClock
    let logger: Logger

    /// Better Auth's `sessionMiddleware`: the caller's live session or 401.
    func requireSession(_ call: AuthCall) async throws -> AuthService.CurrentSession {
        guard let token = call.sessionToken, let current = try await auth.currentSession(token: token, refresh: false) else {
            throw StoaError.unauthorized()
        }
        return current
    }

    /// A reply that sets the session cookie (and, through the bearer plugin, `set-auth-token`).
    func withSessionCookie(_ reply: AuthReply, token: String, remember: Bool) -> AuthReply {
        var reply = reply
        reply.setCookies += cookies.setSession(token: token, remember: remember)
        reply.issuedSessionToken = token
        return reply
    }

    // MARK: Sign-up / sign-in / sign-out

    func signUp(_ call: AuthCall) async throws -> AuthReply {
        var fields = FieldReader(call)
        let name = fields.requiredString("name")
        let email = fields.email("email")
        let password = fields.nonEmptyString("password")
        let image = fields.optionalString("image")
        let callbackURL = fields.optionalString("callbackURL")
        let remember = fields.optionalBool("rememberMe") ?? true
        try fields.finish()
        let (user, session) = try await auth.signUp(name: name, email: email, password: password, image: image, remember: remember,
                                                    callbackURL: callbackURL, client: call.client)
        // Required verification: nobody is signed in until the link is followed.
        guard let session else { return AuthReply(.object([("token", .null), ("user", user.json)])) }
        let reply = AuthReply(.object([("token", .string(session.token)), ("user", user.json)]))
        return withSessionCookie(reply, token: session.token, remember: remember)
    }

    func signIn(_ call: AuthCall) async throws -> AuthReply {
        var fields = FieldReader(call)
        let email = fields.requiredString("email")
        let password = fields.requiredString("password")
        let callbackURL = fields.optionalString("callbackURL")
        let remember = fields.optionalBool("rememberMe") ?? true
        try fields.finish()
        guard EmailAddress.isValid(email) else { throw StoaError.badRequest("INVALID_EMAIL", "Invalid email") }
        let (user, session) = try await auth.signIn(email: email, password: password, remember: remember, callbackURL: callbackURL, client: call.client)
        // Better Auth: `redirect: !!callbackURL`, and `url` echoes whatever was sent.
        let redirects = callbackURL.map { !$0.isEmpty } ?? false
        var pairs: [(String, JSONValue)] = [("redirect", .bool(redirects)), ("token", .string(session.token))]
        if let callbackURL { pairs.append(("url", .string(callbackURL))) }
        pairs.append(("user", user.json))
        var reply = AuthReply(.object(pairs))
        if redirects, let callbackURL { reply.headers.append((.location, callbackURL)) }
        return withSessionCookie(reply, token: session.token, remember: remember)
    }

    func signOut(_ call: AuthCall) async throws -> AuthReply {
        if let token = call.sessionToken { try await auth.signOut(token: token, client: call.client) }
        var reply = AuthReply(.object([("success", .bool(true))]))
        reply.setCookies = cookies.clearSession()
        return reply
    }

    // MARK: Sessions

    /// zod's `z.coerce.boolean()` on a query value: any non-empty text is true (even "false").
    static func coercedFlag(_ value: String?) -> Bool { !(value ?? "").isEmpty }

    func getSession(_ call: AuthCall) async throws -> AuthReply {
        var noStore = AuthReply(.null)
        noStore.headers.append((.cacheControl, "no-store"))
        guard let token = call.sessionToken else { return noStore }
        let refresh = !call.dontRemember && !Self.coercedFlag(call.query["disableRefresh"])
        guard let current = try await auth.currentSession(token: token, refresh: refresh) else {
            noStore.setCookies = cookies.clearSession()
            return noStore
        }
        var reply = AuthReply(.object([("session", current.session.json), ("user", current.user.json)]))
        reply.headers.append((.cacheControl, "no-store"))
        if let issuer = tokenIssuer {
            // Signed from the cached key set: no database read per call (contract §12).
            reply.headers.append((.setAuthJWT, try await issuer.issue(for: current.user, sessionID: current.session.id)))
        }
        if current.refreshed { reply = withSessionCookie(reply, token: token, remember: true) }
        return reply
    }

    func listSessions(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        guard auth.isFresh(current.session) else { throw StoaError.forbidden("SESSION_NOT_FRESH", "Session is not fresh") }
        let sessions = try await auth.store.activeSessions(userID: current.user.id, now: clock.now())
        return AuthReply(.array(sessions.map(\.json)))
    }

    func revokeSession(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        var fields = FieldReader(call)
        let token = fields.requiredString("token")
        try fields.finish()
        try await auth.revokeSession(token: token, userID: current.user.id, client: call.client)
        return AuthReply(.object([("status", .bool(true))]))
    }

    func revokeSessions(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        try await auth.revokeSessions(userID: current.user.id, keeping: nil, client: call.client)
        return AuthReply(.object([("status", .bool(true))]))
    }

    func revokeOtherSessions(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        try await auth.revokeSessions(userID: current.user.id, keeping: current.session.token, client: call.client)
        return AuthReply(.object([("status", .bool(true))]))
    }

    // MARK: Account

    /// Fields the user may not set through update-user.
    static let protectedUserFields: Set<String> = ["id", "emailVerified", "createdAt", "updatedAt"]

    func updateUser(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        if call.has("email") { throw StoaError.badRequest("EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated") }
        var fields = FieldReader(call)
        let name = fields.optionalString("name")
        let image = fields.nullableString("image")
        try fields.finish()
        if call.body.contains(where: { Self.protectedUserFields.contains($0.0) }) {
            throw StoaError.badRequest("FIELD_NOT_ALLOWED", "Field not allowed to be set")
        }
        guard name != nil || image != nil else { throw StoaError(status: 400, code: nil, message: "No fields to update") }
        try await auth.updateUser(id: current.user.id, name: name, image: image, client: call.client)
        let reply = AuthReply(.object([("status", .bool(true))]))
        return withSessionCookie(reply, token: current.session.token, remember: !call.dontRemember)
    }

    func changePassword(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        var fields = FieldReader(call)
        let newPassword = fields.requiredString("newPassword")
        let currentPassword = fields.requiredString("currentPassword")
        let revokeOthers = fields.optionalBool("revokeOtherSessions") ?? false
        try fields.finish()
        let newSession = try await auth.changePassword(user: current.user, current: currentPassword, new: newPassword,
                                                       revokeOthers: revokeOthers, client: call.client)
        let user = try await auth.store.user(id: current.user.id) ?? current.user
        let reply = AuthReply(.object([("token", newSession.map { .string($0.token) } ?? .null), ("user", user.json)]))
        guard let newSession else { return reply }
        return withSessionCookie(reply, token: newSession.token, remember: true)
    }

    /// Deletes the account and everything it owns (enabled in Stoa). Needs the password, or a
    /// fresh session when none is given.
    func deleteUser(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        var fields = FieldReader(call)
        let password = fields.optionalString("password")
        _ = fields.optionalString("token")
        _ = fields.optionalString("callbackURL")
        try fields.finish()
        if let password {
            guard let account = try await auth.store.credentialAccount(userID: current.user.id), let hash = account.password,
                  try await auth.passwords.verify(password, hash: hash) else {
                throw StoaError.badRequest("INVALID_PASSWORD", "Invalid password")
            }
        } else if !auth.isFresh(current.session) {
            throw StoaError.badRequest("SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action.")
        }
        try await auth.deleteUser(id: current.user.id, client: call.client)
        logger.notice("account deleted", metadata: ["user": "\(current.user.id)"])
        var reply = AuthReply(.object([("success", .bool(true)), ("message", .string("User deleted"))]))
        reply.setCookies = cookies.clearSession()
        return reply
    }

    // MARK: Password reset

    func requestPasswordReset(_ call: AuthCall) async throws -> AuthReply {
        var fields = FieldReader(call)
        let email = fields.email("email")
        let redirectTo = fields.optionalString("redirectTo")
        try fields.finish()
        try await auth.requestPasswordReset(email: email, redirectTo: redirectTo, client: call.client)
        return AuthReply(.object([
            ("status", .bool(true)),
            ("message", .string("If this email exists in our system, check your email for the reset link")),
        ]))
    }

    /// `GET /reset-password/{token}`: the link in the reset mail, redirected to `callbackURL`.
    func resetPasswordRedirect(_ call: AuthCall) async throws -> AuthReply {
        let token = call.parameters["token"] ?? ""
        guard let callbackURL = call.query["callbackURL"], !callbackURL.isEmpty else {
            throw StoaError.validation("[query.callbackURL] Invalid input: expected string, received undefined")
        }
        let absolute = callbackURL.hasPrefix("/") ? origins.baseOrigin + callbackURL : callbackURL
        let separator = absolute.contains("?") ? "&" : "?"
        guard try await auth.resetTokenIsValid(token) else {
            return .redirect("\(absolute)\(separator)error=INVALID_TOKEN")
        }
        return .redirect("\(absolute)\(separator)token=\(URIComponent.encode(token))")
    }

    func resetPassword(_ call: AuthCall) async throws -> AuthReply {
        var fields = FieldReader(call)
        let newPassword = fields.requiredString("newPassword")
        let bodyToken = fields.optionalString("token")
        try fields.finish()
        guard let token = bodyToken ?? call.query["token"], !token.isEmpty else {
            throw StoaError.badRequest("INVALID_TOKEN", "Invalid token")
        }
        try await auth.resetPassword(token: token, newPassword: newPassword, client: call.client)
        return AuthReply(.object([("status", .bool(true))]))
    }

    // MARK: JWT

    func jwks(_ call: AuthCall) async throws -> AuthReply {
        guard let issuer = tokenIssuer else { throw StoaError.notFoundEmpty }
        var reply = AuthReply(try await issuer.keys.jwks())
        reply.headers.append((.cacheControl, "public, max-age=300"))
        return reply
    }

    func token(_ call: AuthCall) async throws -> AuthReply {
        guard let issuer = tokenIssuer else { throw StoaError.notFoundEmpty }
        let current = try await requireSession(call)
        return AuthReply(.object([("token", .string(try await issuer.issue(for: current.user, sessionID: current.session.id)))]))
    }

    // MARK: Misc

    func errorPage(_ call: AuthCall) async throws -> AuthReply {
        let raw = call.query["error"] ?? "UNKNOWN"
        let valid = !raw.isEmpty && raw.count <= 100 && raw.allSatisfy { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || "_'-".contains($0) }
        let code = valid ? raw.replacingOccurrences(of: "'", with: "&#39;") : "UNKNOWN"
        var reply = AuthReply(nil)
        reply.html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"></head>
        <body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
        <h1>Something went wrong</h1><p>Error code: <code>\(code)</code></p><p><a href="/">Go back home</a></p></body></html>
        """
        return reply
    }
}
