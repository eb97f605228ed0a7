import Hummingbird
import StoaCore

/// Who is calling an `/api` route, from a verified JWT or (all-in-one mode) a session.
public struct AuthenticatedUser: Sendable, Equatable {
    public enum Credential: Sendable, Equatable { case accessToken, session }
    public let id: String
    public let sessionID: String?
    public let credential: Credential
}

/// The context of routes that need a signed-in user. It cannot be built without one, so a
/// handler written against it cannot be reached unauthenticated.
public struct UserRequestContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let user: AuthenticatedUser

    public init(context: AppRequestContext) throws {
        guard let user = context.identity else { throw APIAuthMiddleware.unauthorized("UNAUTHORIZED", "Sign in to continue.") }
        self.coreContext = context.coreContext
        self.user = user
    }

    public var maxUploadSize: Int { 1 << 20 }

    /// JSON bodies go through ``APIRequestDecoder`` (limits, unknown fields, field-named errors).
    public var requestDecoder: some RequestDecoder { APIRequestDecoder() }
}
