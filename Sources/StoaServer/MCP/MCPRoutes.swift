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
        guard let session = try await session(id: sessionID, userID: context.user.id) else {
            return MCPHTTPAdapter.error(404, "Not Found: Session not found or expired")
        }
        let response = await session.transport.handleRequest(mcpRequest)
        if request.method == .delete, response.statusCode == 200 {
            await sessions.close(sessions.remove(id: sessionID))
            try await sessions.registry?.remove(id: sessionID)
            logger.info("MCP session ended", metadata: ["mcpSession": "\(sessionID.prefix(8))", "user": "\(context.user.id)"])
        }
        return MCPHTTPAdapter.response(response, endOnShutdown: request.method == .get)
    }

    /// Session `id` of `userID`: this replica's copy, or a new copy of a session another replica
    /// opened (from the registry). Nil for an unknown, ended, expired or foreign id; a copy of
    /// a session that ended elsewhere is closed here too.
    func session(id: String, userID: String) async throws -> MCPSessions.Session? {
        guard let registry = sessions.registry else { return await sessions.session(id: id, userID: userID) }
        guard let entry = try await registry.use(id: id, userID: userID, at: clock.now()) else {
            if await sessions.session(id: id, userID: userID) != nil { await sessions.close(sessions.remove(id: id)) }
            return nil
        }
        // A concurrent request may be setting up this replica's copy: wait for it briefly.
        for _ in 0..<50 {
            if let session = await sessions.session(id: id, userID: userID) { return session }
            if await sessions.reserve(existing: id, userID: userID) { return try await adopt(id: id, entry: entry) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw StoaError.unavailable("The MCP session is busy starting. Try again.", retryAfter: 1)
    }

    /// Sets up this replica's copy of a registered session: a fresh transport and server that
    /// are given the client's original `initialize` (and `initialized`) before its request.
    func adopt(id: String, entry: MCPSessionRegistry.Entry) async throws -> MCPSessions.Session? {
        let (transport, server) = try await start(id: id, userID: entry.userID)
        let initialize = #"{"jsonrpc":"2.0","id":"stoa-adopt","method":"initialize","params":"# + entry.initialize + "}"
        let headers = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"]
        let opened = await transport.handleRequest(MCP.HTTPRequest(method: "POST", headers: headers, body: Data(initialize.utf8), path: "/mcp"))
        var ok = opened.statusCode == 200
        if case .stream(let stream, _) = opened {
            do { for try await _ in stream {} } catch { ok = false }
        }
        if ok {
            var notified = headers
            notified["Mcp-Session-Id"] = id
            let note = #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
            ok = await transport.handleRequest(MCP.HTTPRequest(method: "POST", headers: notified, body: Data(note.utf8), path: "/mcp")).statusCode == 202
        }
        guard ok else {
            await sessions.cancel(id: id)
            await server.stop()
            await transport.disconnect()
            logger.warning("could not take over an MCP session from the registry", metadata: ["mcpSession": "\(id.prefix(8))"])
            return nil
        }
        let session = MCPSessions.Session(id: id, userID: entry.userID, transport: transport, server: server, createdAt: entry.createdAt, lastUsed: clock.now())
        await sessions.open(session)
        logger.info("MCP session taken over from another replica", metadata: ["mcpSession": "\(id.prefix(8))", "user": "\(entry.userID)"])
        return session
    }

    /// A transport with session id `id` and a started tool server for `userID`; the slot
    /// reserved for `id` is given up when the server fails to start.
    func start(id: String, userID: String) async throws -> (StatefulHTTPServerTransport, Server) {
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
        return (transport, server)
    }

    /// Opens a session for `userID`, hands it the `initialize` request and registers it for
    /// the other replicas.
    func openSession(_ mcpRequest: MCP.HTTPRequest, userID: String) async throws -> Hummingbird.Response {
        guard let id = await sessions.reserve(userID: userID) else {
            throw StoaError.unavailable("Too many MCP sessions are open. Close one or try again later.", retryAfter: 60)
        }
        let (transport, server) = try await start(id: id, userID: userID)
        let now = clock.now()
        await sessions.open(.init(id: id, userID: userID, transport: transport, server: server, createdAt: now, lastUsed: now))
        let response = await transport.handleRequest(mcpRequest)
        if case .error = response {
            await sessions.close(sessions.remove(id: id))
            return MCPHTTPAdapter.response(response)
        }
        if let registry = sessions.registry {
            do {
                try await registry.register(id: id, userID: userID, initialize: Self.initializeParameters(mcpRequest.body), at: now)
            } catch {
                await sessions.close(sessions.remove(id: id))
                throw error
            }
        }
        logger.info("MCP session opened", metadata: ["mcpSession": "\(id.prefix(8))", "user": "\(userID)"])
        return MCPHTTPAdapter.response(response)
    }

    /// The `params` of an `initialize` request as JSON text, to replay on another replica;
    /// only the protocol version, capabilities and client info when they are large.
    static func initializeParameters(_ body: Data?) -> String {
        let params = body.flatMap { JSONValue.parse($0, limits: .request) }?["params"] ?? .object([])
        let text = params.serialized
        if text.utf8.count <= MCPSessionRegistry.maxInitializeBytes { return text }
        var small: [(String, JSONValue)] = [("capabilities", .object([]))]
        if let version = params["protocolVersion"]?.stringValue, version.utf8.count <= 64 { small.append(("protocolVersion", .string(version))) }
        small.append(("clientInfo", .object([("name", .string("client")), ("version", .string("0"))])))
        return JSONValue.object(small).serialized
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
