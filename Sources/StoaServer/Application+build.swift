import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import StoaCore
import Storage

/// Builds the HTTP application for `services`: middleware, auth routes, health routes.
/// Tests call this in-process (`app.test(.router)`); `stoa serve` runs it.
public func buildApplication(services: AppServices) -> some ApplicationProtocol {
    let mcpSessions = MCPSessions(clock: services.clock, logger: services.logger)
    let router = buildRouter(services: services, mcpSessions: mcpSessions)
    let config = services.configuration
    let limits = config.server
    let counter = ConnectionCounter(limit: limits.maxConnections)
    let logger = services.logger
    var http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuard(headerTimeout: .seconds(Int64(limits.headerTimeout)), counter: counter, logger: logger)],
        idleTimeout: .seconds(Int64(limits.idleTimeout)))
    http1.httpDecoder = .init(maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes, maxHeaderFieldCount: 200)
    return Application(
        router: router,
        server: .http1(configuration: http1),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Stoa"),
        services: config.role.servesAPI ? [mcpSessions] : [],
        logger: services.logger)
}

/// The router with every route and middleware of the configured role. `mcpSessions` is the
/// session table of `/mcp` (a fresh one when not given; `buildApplication` also runs it as a
/// service that sweeps idle sessions).
public func buildRouter(services: AppServices, mcpSessions: MCPSessions? = nil) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ServerTimingMiddleware())
    // CORS outside the error middleware, so errors reach browser apps on trusted origins too.
    router.add(middleware: CORSMiddleware(origins: services.origins, trusted: services.configuration.trustedOrigins))
    router.add(middleware: ErrorMiddleware(logger: services.logger))
    if services.configuration.role.servesAuth {
        AuthRoutes(services: services).register(on: router)
    }
    HealthRoutes(database: services.database).register(on: router)
    OpenAPIRoutes(role: services.configuration.role).register(on: router)
    if services.configuration.role.servesAPI {
        APIRoutes(services: services).register(on: router)
        MCPRoutes(services: services, sessions: mcpSessions ?? MCPSessions(clock: services.clock, logger: services.logger))
            .register(on: router)
    }
    if services.configuration.role == .all {
        WebRoutes(files: WebFiles(directory: services.configuration.webDirectory), services: services).register(on: router)
    }
    return router
}
