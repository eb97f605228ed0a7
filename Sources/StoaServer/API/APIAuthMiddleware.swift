import HTTPTypes
import Hummingbird
import Identity
import StoaCore
import TokenVerification

/// Turns credentials into ``AppRequestContext/identity`` for `/api` routes:
/// `Authorization: Bearer <JWT>` verified offline against the JWKS; in all-in-one mode also the
/// Better Auth session (`Bearer <session token>` or the session cookie, with the origin check
/// for writes). Bad credentials are refused here; missing ones are refused by
/// ``UserRequestContext``. The user id only ever comes from the verified credential.
struct APIAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let verifier: TokenVerifier
    /// The session store, in the all-in-one role only: then sessions (bearer or cookie) are
    /// accepted too, and a revoked session's access tokens stop working at once.
    let sessions: AuthService?
    let cookies: AuthCookies
    let origins: OriginPolicy
    let clock: any StoaClock

    static func unauthorized(_ code: String, _ message: String) -> StoaError {
        StoaError(status: 401, code: code, message: message, headers: [("WWW-Authenticate", #"Bearer error="invalid_token""#)])
    }
    static let invalid = unauthorized("INVALID_TOKEN", "The access token is not valid.")
    static let expired = unauthorized("TOKEN_EXPIRED", "The access token has expired. Get a new one from /api/auth/token.")

    var acceptsSessions: Bool { sessions != nil }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { throw Self.invalid }
            let credential = authorization.dropFirst(7).trimmingWhitespace
            context.identity = try await identify(bearer: credential)
        } else if acceptsSessions, let cookie = request.headers[.cookie],
                  let token = cookies.sessionToken(from: AuthCookies.parse(cookie)) {
            if request.method != .get && request.method != .head {
                // A cookie rides along on cross-site requests: writes need a trusted Origin.
                guard let origin = request.headers[.origin] ?? request.headers[.referer], origins.isTrusted(url: origin) else {
                    throw StoaError.forbidden("FORBIDDEN", "This request's origin is not trusted.")
                }
            }
            context.identity = try await identify(sessionToken: token)
        }
        return try await next(request, context)
    }

    func identify(bearer credential: String) async throws -> AuthenticatedUser {
        guard !credential.isEmpty else { throw Self.invalid }
        // Three dot-separated parts (counted on the bytes: String's split searched like a substring here).
        let looksLikeJWT = credential.utf8.count > 40 && credential.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count == 2
        if looksLikeJWT {
            let verified: VerifiedToken
            do {
                verified = try await verifier.verify(credential)
            } catch .expired {
                throw Self.expired
            } catch {
                throw Self.invalid
            }
            if let sessions, let sid = verified.sessionID {
                // All-in-one mode sees the session store: a revoked session's tokens stop working.
                guard let session = try await sessions.store.session(id: sid), session.expiresAt > clock.now(),
                      session.userId == verified.subject else { throw Self.invalid }
            }
            return AuthenticatedUser(id: verified.subject, sessionID: verified.sessionID, credential: .accessToken)
        }
        guard acceptsSessions else { throw Self.invalid }
        let token = credential.contains(".") ? cookies.signer.unsign(credential) : credential
        guard let token else { throw Self.invalid }
        return try await identify(sessionToken: token)
    }

    func identify(sessionToken: String) async throws -> AuthenticatedUser {
        guard sessionToken.count <= 256, let current = try await sessions?.currentSession(token: sessionToken, refresh: false) else {
            throw Self.invalid
        }
        return AuthenticatedUser(id: current.user.id, sessionID: current.session.id, credential: .session)
    }
}
