import ArgumentParser
import Foundation
import Logging
import StoaCore
import StoaServer
import Storage

/// Helpers shared by the subcommands.
enum CLI {
    /// Prints one line to standard error and exits non-zero: no stack traces for bad input.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("stoa: error: \(message)\n".utf8))
        exit(1)
    }

    static func loadConfiguration(flags: [String: String] = [:]) throws -> StoaConfiguration {
        do {
            return try StoaConfiguration.load(flags: flags)
        } catch {
            fail(error.description)
        }
    }

    static func bootstrapLogging(level: String, format: String = "text") -> Logger {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            if format == "json" {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = parsed
                return handler
            }
            var handler = TextLogHandler(label: label)
            handler.logLevel = parsed
            return handler
        }
        var logger = Logger(label: "stoa")
        logger.logLevel = parsed
        return logger
    }

    /// Logging for the operator commands: quieter than the server (`info` becomes `warning`),
    /// always on standard error.
    static func commandLogging(_ config: StoaConfiguration) -> Logger {
        bootstrapLogging(level: config.logLevel == "info" ? "warning" : config.logLevel, format: config.logFormat)
    }

    /// Commands that sign or encrypt need a secret: without one configured, the generated
    /// `<data dir>/secret` (created on first use, as `stoa serve` does).
    static func ensureSecret(_ config: inout StoaConfiguration) {
        guard config.secrets.isEmpty else { return }
        do {
            config.secrets = [try SecretFile.loadOrCreate(dataDirectory: config.dataDirectory).secret]
        } catch {
            fail("\(error)")
        }
    }

    /// Opens the configured database. Servers (`serve`, `mcp`) keep the configured PostgreSQL
    /// pool; one-shot commands pass `oneShot` and get the smallest one (two connections per event loop).
    /// On PostgreSQL the process then takes its lease (``SoleProcessLease``) before anything is
    /// written: `stoa serve` as a candidate, every other command as a member.
    static func openDatabase(_ config: StoaConfiguration, oneShot: Bool = false, lease: SoleProcessLease.Mode = .member,
                             logger: Logger) async throws -> any Database {
        do {
            let database = try await DatabaseFactory.open(config.database, connections: oneShot ? 1 : nil, logger: logger)
            if let postgres = database as? PostgresDatabase {
                do {
                    _ = try await postgres.takeLease(lease)
                } catch {
                    await postgres.close()
                    throw error
                }
            }
            return database
        } catch let error as DatabaseError {
            fail("cannot open the database (\(config.database.redacted)): \(error)")
        } catch {
            fail("cannot open the database (\(config.database.redacted)): \(error)")
        }
    }
}
