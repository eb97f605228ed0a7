import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Identity
import Logging
import ServiceLifecycle
import StoaCore
import Storage

/// Builds the HTTP application for `services`: middleware, auth routes, health routes.
/// Tests call this in-process (`app.test(.router)`); `stoa serve` runs it.
public func buildApplication(services: AppServices) -> some ApplicationProtocol {
    let mcpSessions = MCPSessions(database: services.database, clock: services.clock, logger: services.logger)
    let router = buildRouter(services: services, mcpSessions: mcpSessions)
    let config = services.configuration
    let limits = config.server
    let counter = ConnectionCounter(limit: limits.maxConnections)
    let logger = services.logger
    var http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuard(headerTimeout: .seconds(Int64(limits.headerTimeout)), counter: counter, logger: logger)],
        idleTimeout: .seconds(Int64(limits.idleTimeout)))
    http1.httpDecoder = .init(maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes, maxHeaderFieldCount: 200)
    var background = backgroundServices(services, mcpSessions: mcpSessions)
    if let metrics = services.metrics {
        metrics.sample(connections: counter)
        metrics.sample(database: services.database)
        metrics.sample(hashingPool: services.hashingPool)
        if config.role.servesAPI { metrics.sample(mcpSessions: mcpSessions) }
        if let port = config.metrics.port {
            background.append(makeMetricsListener(metrics: metrics, host: config.metrics.host, port: port, logger: logger))
        }
    }
    return Application(
        router: router,
        server: .http1(configuration: http1),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Stoa"),
        services: background,
        logger: services.logger)
}

/// What runs beside the server: the MCP session sweeper (API roles), audit retention (auth
/// roles, unless `STOA_AUDIT_RETENTION_DAYS=0`), the mail worker (auth roles) and, on
/// PostgreSQL, the listener for other replicas' changes.
func backgroundServices(_ services: AppServices, mcpSessions: MCPSessions) -> [any Service] {
    let config = services.configuration
    var list: [any Service] = []
    if config.role.servesAPI { list.append(mcpSessions) }
    if config.role.servesAuth, config.auditRetentionDays > 0 {
        list.append(AuditRetention(events: AuthEventStore(database: services.database), days: config.auditRetentionDays,
                                   clock: services.clock, logger: services.logger))
    }
    if config.role.servesAuth {
        var worker = MailWorker(outbox: services.mailOutbox, transport: services.mailTransport, clock: services.clock, logger: services.logger)
        worker.pollInterval = services.mailPollInterval
        list.append(worker)
    }
    if let database = services.database as? any DatabaseChangeListening {
        list.append(DatabaseChangeService(database: database, services: services))
    }
    return list
}

/// The router with every route and middleware of the configured role: the composition root,
/// where each controller gets exactly the services it uses. `mcpSessions` is the session table
/// of `/mcp` (a fresh one when not given; `buildApplication` also runs it as a service that
/// sweeps idle sessions).
public func buildRouter(services: AppServices, mcpSessions: MCPSessions? = nil) -> Router<AppRequestContext> {
    let config = services.configuration
    let router = Router(context: AppRequestContext.self)
    // Outermost, so it records the status the client gets and the pattern the router matched.
    if let metrics = services.metrics { router.add(middleware: HTTPMetricsMiddleware(metrics: metrics.http)) }
    router.add(middleware: RequestLogMiddleware(clientAddress: services.clientAddress, accessLog: config.logFormat == "json"))
    router.add(middleware: ServerTimingMiddleware())
    // CORS outside the error middleware, so errors reach browser apps on trusted origins too.
    router.add(middleware: CORSMiddleware(origins: services.origins, trusted: config.trustedOrigins))
    router.add(middleware: ErrorMiddleware())
    if config.role.servesAuth {
        let endpoints = AuthEndpoints(auth: services.auth, cookies: services.cookies, origins: services.origins, tokenIssuer: services.tokenIssuer,
                                      authBaseURL: services.authBaseURL, clock: services.clock, logger: services.logger)
        AuthRoutes(endpoints: endpoints, rateLimiter: services.rateLimiter, clientAddress: services.clientAddress, origins: services.origins,
                   disableOriginCheck: config.disableOriginCheck, cookies: services.cookies, metrics: services.metrics).register(on: router)
    }
    HealthRoutes(database: services.database, drain: services.drain).register(on: router)
    if config.metrics.servedOnMainPort, let metrics = services.metrics { MetricsRoutes(metrics: metrics).register(on: router) }
    OpenAPIRoutes(role: config.role).register(on: router)
    if config.role.servesAPI {
        let authenticator = APIAuthMiddleware(verifier: services.tokenVerifier, sessions: config.role == .all ? services.auth : nil,
                                              cookies: services.cookies, origins: services.origins, clock: services.clock)
        let toolboxes = services.toolboxes
        APIRoutes(
            authenticator: authenticator,
            users: services.auth.store,
            activity: AuthEventStore(database: services.database),
            conversations: ConversationRoutes(store: services.conversations, clock: services.clock, historyCache: services.historyCache),
            tasks: TaskRoutes(store: services.tasks, clock: services.clock),
            documents: DocumentRoutes(store: services.documents, search: services.documentSearch),
            chat: ChatRoutes(conversations: services.conversations, toolboxes: toolboxes, model: services.chatModel,
                             turnLimiter: services.userTurnLimiter, clock: services.clock, logger: services.logger,
                             contextBudget: config.assistant.contextBudget, metrics: services.metrics)
        ).register(on: router)
        MCPRoutes(authenticator: authenticator, sessions: mcpSessions ?? MCPSessions(database: services.database, clock: services.clock, logger: services.logger),
                  toolboxes: toolboxes, turnLimiter: services.userTurnLimiter, origins: services.origins,
                  clock: services.clock, logger: services.logger, metrics: services.metrics).register(on: router)
    }
    if config.role == .all {
        let files = WebFiles(directory: config.webDirectory)
        WebRoutes(files: files, sessions: services.auth, cookies: services.cookies).register(on: router)
        WidgetRoutes(files: files, origins: services.origins).register(on: router)
    }
    return router
}
