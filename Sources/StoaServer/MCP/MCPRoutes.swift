import Foundation
import HTTPTypes
import Identity
import Hummingbird
import Logging
import MCP
import StoaCore

/// `/mcp`: the MCP streamable HTTP transport (api.md "MCP").
///
/// Every request needs `Authorization: Bearer …`, verified exactly like `/api` by
/// ``APIAuthMiddleware`` (cookies are not accepted here). `POST` with an `initialize` request
/// opens a session bound to the verified user; later requests name it in `Mcp-Session-Id` and
/// reach it only with a credential of the same user — anyone else gets the 404 of an unknown
/// session. `GET` opens the session's server-to-client event stream; `DELETE` ends the session.
struct MCPRoutes: Sendable {
    let authenticator: APIAuthMiddleware
    let sessions: MCPSessions
    let toolboxes: Toolboxes
    let turnLimiter: UserTurnLimiter?
    let origins: OriginPolicy
    let clock: any StoaClock
    let logger: Logger
    /// Turn-limit refusals of tool calls (nil when `STOA_METRICS` is off).
    var metrics: StoaMetrics? = nil

    func register(on router: Router<AppRequestContext>) {
        let mcp = router.group("mcp")
            .add(middleware: MCPBearerRequired())
            .add(middleware: authenticator)
            .group(context: UserRequestContext.self)
        mcp.post { request, context in try await handle(request, context) }
        mcp.get { request, context in try await handle(request, context) }
        mcp.delete { request, context in try await handle(request, context) }
        for method in [HTTPTypes.HTTPRequest.Method.put, .patch] {
            router.on("mcp", method: method) { _, _ in
                var response = MCPHTTPAdapter.error(405, "Method Not Allowed: /mcp takes GET, POST and DELETE")
                response.headers[.allow] = "GET, POST, DELETE"
                return response
            }
        }
    }

    func handle(_ request: Hummingbird.Request, _ context: UserRequestContext) async throws -> Hummingbird.Response {
        let body = request.method == .post ? try await request.collectBodyData() : nil
        // Tool calls count against the user's turn limit (`STOA_USER_RATE_LIMIT`), like chat turns.
        if let limiter = turnLimiter {
            for _ in 0..<MCPHTTPAdapter.toolCallCount(body) {
                if case .denied(let retryAfter) = try await limiter.check(userID: context.user.id) {
                    metrics?.rateLimitRefusals(rule: "user_turns", route: "/mcp").increment()
                    throw StoaError.tooManyTurns(retryAfter: retryAfter)
                }
            }
        }
        let mcpRequest = MCPHTTPAdapter.request(request, body: body)
        guard let sessionID = request.headers[.mcpSessionID] else {
            guard request.method == .post, MCPHTTPAdapter.isInitializeRequest(body) else {
                return MCPHTTPAdapter.error(400, "Bad Request: Missing Mcp-Session-Id header (send initialize first)")
            }
            return try await openSession(mcpRequest, userID: context.user.id)
        }
        guard let session = await sessions.session(id: sessionID, userID: context.user.id) else {
            return MCPHTTPAdapter.error(404, "Not Found: Session not found or expired")
        }
        let response = await session.transport.handleRequest(mcpRequest)
        if request.method == .delete, response.statusCode == 200 {
            await sessions.close(sessions.remove(id: sessionID))
            logger.info("MCP session ended", metadata: ["mcpSession": "\(sessionID.prefix(8))", "user": "\(context.user.id)"])
        }
        return MCPHTTPAdapter.response(response, endOnShutdown: request.method == .get)
    }

    /// Opens a session for `userID` and hands it the `initialize` request.
    func openSession(_ mcpRequest: MCP.HTTPRequest, userID: String) async throws -> Hummingbird.Response {
        guard let id = await sessions.reserve(userID: userID) else {
            throw StoaError.unavailable("Too many MCP sessions are open. Close one or try again later.", retryAfter: 60)
        }
        let transport = StatefulHTTPServerTransport(
            sessionIDGenerator: MCPFixedSessionID(id: id),
            validationPipeline: StandardValidationPipeline(validators: [
                MCPOriginValidator(origins: origins),
                AcceptHeaderValidator(mode: .sseRequired),
                ContentTypeValidator(),
                ProtocolVersionValidator(),
                SessionValidator(),
            ]))
        let server = await MCPToolServer.make(toolbox: toolboxes.toolbox(userID: userID), logger: logger)
        do {
            try await server.start(transport: transport)
        } catch {
            await sessions.cancel(id: id)
            throw error
        }
        let now = clock.now()
        await sessions.open(.init(id: id, userID: userID, transport: transport, server: server, createdAt: now, lastUsed: now))
        let response = await transport.handleRequest(mcpRequest)
        if case .error = response {
            await sessions.close(sessions.remove(id: id))
        } else {
            logger.info("MCP session opened", metadata: ["mcpSession": "\(id.prefix(8))", "user": "\(userID)"])
        }
        return MCPHTTPAdapter.response(response)
    }
}

extension HTTPField.Name {
    /// `Mcp-Session-Id` (MCP streamable HTTP transport).
    static let mcpSessionID = HTTPField.Name("Mcp-Session-Id")!
}

/// `/mcp` takes its credential from `Authorization` only: without one the answer is 401, even
/// when a session cookie rides along (a cookie would let another site drive the tools).
struct MCPBearerRequired: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Hummingbird.Request, context: Context, next: (Hummingbird.Request, Context) async throws -> Hummingbird.Response) async throws -> Hummingbird.Response {
        guard request.headers[.authorization] != nil else {
            throw APIAuthMiddleware.unauthorized("UNAUTHORIZED", "Send Authorization: Bearer <access token> (GET /api/auth/token).")
        }
        // With `Authorization` present, ``APIAuthMiddleware`` never looks at the cookie.
        return try await next(request, context)
    }
}
