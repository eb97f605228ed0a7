import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StoaCore
import Storage

/// Builds the HTTP application for `services`: middleware, auth routes, health routes.
/// Tests call this in-process (`app.test(.router)`); `stoa serve` runs it.
public func buildApplication(services: AppServices) -> some ApplicationProtocol {
    let mcpSessions = MCPSessions(clock: services.clock, logger: services.logger)
    let router = buildRouter(services: services, mcpSessions: mcpSessions)
    let config = services.configuration
    return Application(
        router: router,
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
    router.add(middleware: ErrorMiddleware(logger: services.logger))
    router.add(middleware: CORSMiddleware(origins: services.origins, trusted: services.configuration.trustedOrigins))
    if services.configuration.role.servesAuth {
        router.add(middleware: AuthRouter(services: services))
    }
    HealthRoutes(database: services.database).register(on: router)
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
