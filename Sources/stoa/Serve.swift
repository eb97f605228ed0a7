import ArgumentParser
import Foundation
import Hummingbird
import Identity
import Logging
import ServiceLifecycle
import StoaCore
import StoaServer
import Storage

/// `stoa serve`: runs the HTTP server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Stoa server (auth, API and web UI).",
        discussion: """
        With no configuration at all, Stoa keeps its data in ./.stoa/stoa.db (SQLite), makes a
        secret in ./.stoa/secret and listens on http://127.0.0.1:8080.
        Set DATABASE_URL=postgres://… to use PostgreSQL.
        """)

    @Option(help: "Address to listen on (env HOST).")
    var host: String?

    @Option(help: "Port to listen on (env PORT).")
    var port: Int?

    @Option(help: "Which part to serve: all, auth or api (env STOA_ROLE).")
    var role: String?

    @Option(help: "Directory for the SQLite file and the generated secret (env STOA_DATA_DIR).")
    var dataDir: String?

    @Flag(help: "Do not apply database migrations at start-up.")
    var noMigrate = false

    func run() async throws {
        var flags: [String: String] = [:]
        if let host { flags["HOST"] = host }
        if let port { flags["PORT"] = String(port) }
        if let role { flags["STOA_ROLE"] = role }
        if let dataDir { flags["STOA_DATA_DIR"] = dataDir }
        if noMigrate { flags["STOA_MIGRATE"] = "off" }

        var config = try CLI.loadConfiguration(flags: flags)
        let logger = CLI.bootstrapLogging(level: config.logLevel, format: config.logFormat)

        if config.secrets.isEmpty {
            if config.requiresConfiguredSecret {
                CLI.fail("BETTER_AUTH_SECRET is not set: the \(config.role.rawValue) role must share a configured secret with the other role (set BETTER_AUTH_SECRET)")
            }
            do {
                let (secret, created) = try SecretFile.loadOrCreate(dataDirectory: config.dataDirectory)
                config.secrets = [secret]
                config.secretSource = "\(config.dataDirectory)/secret"
                if created {
                    logger.notice("no BETTER_AUTH_SECRET configured: generated a new secret and stored it with mode 0600",
                                  metadata: ["file": "\(config.dataDirectory)/secret"])
                }
            } catch {
                CLI.fail("\(error)")
            }
        } else if config.currentSecret.count < 32 {
            logger.warning("the configured secret is shorter than 32 characters; use a longer random secret in production")
        }

        let database = try await CLI.openDatabase(config, lease: .candidate, logger: logger)
        if config.migrateOnStart {
            do {
                try await MigrationRunner(database: database, logger: logger).up()
            } catch {
                await database.close()
                CLI.fail("migration failed: \(error)")
            }
        }

        var services = AppServices.make(configuration: config, database: database, metrics: CLI.bootstrapMetrics(config.metrics), logger: logger)
        services.follow((database as? PostgresDatabase)?.lease)
        if config.role.servesAuth {
            // SMTP (or the log, with a warning); an unusable STOA_SMTP_CA_FILE stops start-up here.
            do {
                services.mailTransport = try MailTransportFactory.make(configuration: config, logger: logger)
            } catch {
                await database.close()
                CLI.fail(error.description)
            }
        }
        if config.role == .api {
            logger.notice("verifying access tokens against a remote JWKS", metadata: ["jwks": "\(config.jwksURL)"])
        }
        // Load verification keys now; a JWKS endpoint that is down is retried on the first request.
        await services.tokenVerifier.prime()
        let app = buildApplication(services: services)
        logger.notice("Stoa listening", metadata: [
            "url": "http://\(config.host):\(config.port)", "role": "\(config.role.rawValue)",
            "database": "\(config.database.redacted)", "baseURL": "\(config.baseURL)",
            "rateLimit": "\(config.rateLimit.enabled ? config.rateLimit.storage.rawValue : "off")",
            "metrics": "\(config.metrics.enabled ? config.metrics.port.map { "http://\(config.metrics.host):\($0)/metrics" } ?? "/metrics" : "off")",
        ])
        // SIGTERM/SIGINT: `/readyz` turns 503 at once (DrainOnShutdown is told first), then the
        // server stops accepting and waits for requests and streams in flight, for at most
        // STOA_SHUTDOWN_GRACE seconds before they are cancelled.
        var group = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: DrainOnShutdown(services.drain))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(config.server.shutdownGrace)
        group.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: group).run()
            logger.notice("Stoa stopped")
        } catch {
            await services.hashingPool.shutdown()
            await database.close()
            CLI.fail("server stopped: \(error)")
        }
        await services.hashingPool.shutdown()
        await database.close()
    }
}
