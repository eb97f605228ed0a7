import Hummingbird
import Identity
import StoaCore

/// The application API under `/api` (everything but `/api/auth`). Every route here runs with
/// a ``UserRequestContext``, so it cannot be reached without a verified user.
struct APIRoutes: Sendable {
    /// Verifies the credential of every `/api` request.
    let authenticator: APIAuthMiddleware
    /// Reads the profile of `GET /api/me`.
    let users: any AuthStore
    /// The audit trail, for `GET /api/me/activity` (the caller's own rows only).
    let activity: AuthEventStore
    let conversations: ConversationRoutes
    let tasks: TaskRoutes
    let documents: DocumentRoutes
    let chat: ChatRoutes

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("api")
            .add(middleware: authenticator)
            .group(context: UserRequestContext.self)
        api.get("me") { _, context in try await me(context) }
        api.get("me/activity") { request, context in try await myActivity(request, context) }
        conversations.register(on: api)
        tasks.register(on: api)
        documents.register(on: api)
        chat.register(on: api)
    }

    /// `GET /api/me`: the signed-in user's profile.
    func me(_ context: UserRequestContext) async throws -> Response {
        guard let user = try await users.user(id: context.user.id) else {
            throw APIAuthMiddleware.unauthorized("INVALID_TOKEN", "The account for this token no longer exists.")
        }
        return try .encoded(MeResponse(user))
    }

    /// `GET /api/me/activity`: the signed-in user's own audit events, newest first, paged.
    func myActivity(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let page = try request.page()
        return try .encoded(PageResponse(try await activity.list(userID: context.user.id, page: page), ActivityResponse.init))
    }
}
