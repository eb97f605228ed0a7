import Hummingbird
import Identity
import StoaCore

/// The application API under `/api` (everything but `/api/auth`). Every route here runs with
/// a ``UserRequestContext``, so it cannot be reached without a verified user.
struct APIRoutes: Sendable {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("api")
            .add(middleware: APIAuthMiddleware(services: services))
            .group(context: UserRequestContext.self)
        api.get("me") { _, context in try await me(context) }
        ConversationRoutes(store: services.conversations, clock: services.clock).register(on: api)
        TaskRoutes(store: services.tasks, clock: services.clock).register(on: api)
        DocumentRoutes(store: services.documents, search: services.documentSearch).register(on: api)
        ChatRoutes(conversations: services.conversations, toolbox: { [services] in services.toolbox(userID: $0) }, model: services.chatModel,
                   turnLimiter: services.userTurnLimiter, clock: services.clock, logger: services.logger,
                   contextBudget: services.configuration.assistant.contextBudget).register(on: api)
    }

    /// `GET /api/me`: the signed-in user's profile.
    func me(_ context: UserRequestContext) async throws -> Response {
        guard let user = try await services.auth.store.user(id: context.user.id) else {
            throw APIAuthMiddleware.unauthorized("INVALID_TOKEN", "The account for this token no longer exists.")
        }
        return .json(.object([
            ("id", .string(user.id)), ("name", .string(user.name)), ("email", .string(user.email)),
            ("emailVerified", .bool(user.emailVerified)), ("image", .optional(user.image)), ("createdAt", .date(user.createdAt)),
        ]))
    }
}
