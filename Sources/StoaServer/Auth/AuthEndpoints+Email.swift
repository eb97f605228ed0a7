import Foundation
import Identity
import StoaCore

/// Better Auth's email-verification and change-of-email endpoints.
extension AuthEndpoints {
    /// Without a session the answer takes at least this long, whatever the address (Better Auth's
    /// floor against telling accounts apart by time).
    static let sendVerificationFloor: Duration = .milliseconds(500)

    /// The caller's live session, if any (no refresh).
    func optionalSession(_ call: AuthCall) async throws -> AuthService.CurrentSession? {
        guard let token = call.sessionToken else { return nil }
        return try await auth.currentSession(token: token, refresh: false)
    }

    /// `POST /send-verification-email {email, callbackURL?}` → `{status:true}`.
    func sendVerificationEmail(_ call: AuthCall) async throws -> AuthReply {
        var fields = FieldReader(call)
        let email = fields.email("email")
        let callbackURL = fields.optionalString("callbackURL")
        try fields.finish()
        let ok = AuthReply(.object([("status", .bool(true))]))
        if let session = try await optionalSession(call) {
            try await auth.sendVerificationEmail(email: email, callbackURL: callbackURL, session: session, client: call.client)
            return ok
        }
        let started = ContinuousClock.now
        let outcome = await Result(catching: { try await auth.sendVerificationEmail(email: email, callbackURL: callbackURL, session: nil, client: call.client) })
        let left = Self.sendVerificationFloor - (ContinuousClock.now - started)
        if left > .zero { try? await Task.sleep(for: left) }
        try outcome.get()
        return ok
    }

    /// `GET /verify-email?token&callbackURL`: JSON, or a redirect to `callbackURL` (with
    /// `?error=CODE` when the link is refused). The callbackURL was checked like every redirect field.
    func verifyEmail(_ call: AuthCall) async throws -> AuthReply {
        let callbackURL = call.query["callbackURL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let token = call.query["token"] else {
            throw StoaError.validation("[query.token] Invalid input: expected string, received undefined")
        }
        let outcome: AuthService.LinkOutcome
        do {
            outcome = try await auth.followVerificationLink(token: token, callbackURL: callbackURL, current: try await optionalSession(call),
                                                            client: call.client)
        } catch let error as EmailLinkError {
            guard let callbackURL else { throw error }
            let separator = callbackURL.contains("?") ? "&" : "?"
            return .redirect("\(callbackURL)\(separator)error=\(error.code)")
        }
        switch outcome {
        case .confirmationSent:
            return callbackURL.map { .redirect($0) } ?? AuthReply(.object([("status", .bool(true))]))
        case .verified(let session, let user):
            var reply = callbackURL.map { AuthReply.redirect($0) }
                ?? AuthReply(.object([("status", .bool(true)), ("user", user?.json ?? .null)]))
            if let session { reply = withSessionCookie(reply, token: session.token, remember: !call.dontRemember) }
            return reply
        }
    }

    /// `POST /change-email {newEmail, callbackURL?}` → `{status:true}` (also for a taken address).
    func changeEmail(_ call: AuthCall) async throws -> AuthReply {
        let current = try await requireSession(call)
        var fields = FieldReader(call)
        let newEmail = fields.email("newEmail")
        let callbackURL = fields.optionalString("callbackURL")
        try fields.finish()
        try await auth.requestEmailChange(user: current.user, newEmail: newEmail, callbackURL: callbackURL, client: call.client)
        return AuthReply(.object([("status", .bool(true))]))
    }
}

extension Result where Failure == any Error {
    /// Runs `body`, keeping its result or error.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
