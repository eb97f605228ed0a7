import Foundation
import Logging
import StoaCore
import Storage

/// A throwaway database for one test: a temporary SQLite file, or a fresh PostgreSQL database
/// when `STOA_TEST_DATABASE=postgres` (created through the admin URL `STOA_TEST_PG_URL`).
public enum TestDatabase {
    public static var dialect: SQLDialect {
        ProcessInfo.processInfo.environment["STOA_TEST_DATABASE"]?.lowercased() == "postgres" ? .postgres : .sqlite
    }

    public static let logger: Logger = {
        var logger = Logger(label: "stoa-test")
        logger.logLevel = .critical
        return logger
    }()

    public struct MissingPostgres: Error, CustomStringConvertible {
        public var description: String { "STOA_TEST_DATABASE=postgres needs STOA_TEST_PG_URL (scripts/test sets both)" }
    }

    /// Opens a fresh, empty database and runs `body` with it; removes it afterwards.
    public static func with<T: Sendable>(migrated: Bool = true, _ body: @Sendable (any Database) async throws -> T) async throws -> T {
        let (db, cleanup) = try await make()
        do {
            if migrated { try await MigrationRunner(database: db, logger: logger).up() }
            let result = try await body(db)
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }

    /// Runs `body` with two separate handles on one fresh, migrated database, as two replicas
    /// (or a replica and a CLI command) would have: a second pool on PostgreSQL, a second
    /// open of the same file on SQLite.
    public static func withTwoHandles<T: Sendable>(_ body: @Sendable (any Database, any Database) async throws -> T) async throws -> T {
        try await with { first in
            let second: any Database
            if let sqlite = first as? SQLiteDatabase {
                second = try await SQLiteDatabase.open(path: sqlite.path, logger: logger)
            } else {
                second = try await postgresHandle(on: first, connections: 4)
            }
            do {
                let result = try await body(first, second)
                await second.close()
                return result
            } catch {
                await second.close()
                throw error
            }
        }
    }

    /// Another pool of `connections` on the PostgreSQL database `first` is open on (as another
    /// replica of Stoa would have); the caller closes it.
    public static func postgresHandle(on first: any Database, connections: Int) async throws -> PostgresDatabase {
        guard let url = ProcessInfo.processInfo.environment["STOA_TEST_PG_URL"],
              case .postgres(var settings) = try DatabaseConfiguration.parse(url, dataDirectory: ""),
              let name = try await first.first("SELECT current_database() AS name")?.string("name") else { throw MissingPostgres() }
        settings.database = name
        settings.connections = connections
        return try await PostgresDatabase.connect(settings, logger: logger)
    }

    /// Waits (at most `seconds`) until `condition` holds; whether it did.
    public static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// A fresh database and the closure that disposes of it.
    public static func make() async throws -> (any Database, @Sendable () async -> Void) {
        switch dialect {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-test-\(UUID().uuidString)").path
            let db = try await SQLiteDatabase.open(path: dir + "/stoa.db", logger: logger)
            return (db, {
                await db.close()
                try? FileManager.default.removeItem(atPath: dir)
            })
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["STOA_TEST_PG_URL"],
                  case .postgres(let admin) = try DatabaseConfiguration.parse(url, dataDirectory: "") else { throw MissingPostgres() }
            let name = "stoa_t_\(RandomID.generate(12).lowercased())"
            let adminDB = try await PostgresDatabase.connect(admin, maxConnections: 2, logger: logger)
            try await adminDB.execute("CREATE DATABASE \"\(name)\"")
            await adminDB.close()
            var settings = admin
            settings.database = name
            let db = try await PostgresDatabase.connect(settings, maxConnections: 8, logger: logger)
            return (db, {
                await db.close()
                if let adminDB = try? await PostgresDatabase.connect(admin, maxConnections: 1, logger: logger) {
                    _ = try? await adminDB.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
                    await adminDB.close()
                }
            })
        }
    }
}
