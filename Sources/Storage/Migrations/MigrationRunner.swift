import Foundation
import Logging
import StoaCore

/// Applies and reverts migrations, recording them in `stoa_migration`. On PostgreSQL it holds an
/// advisory lock for the whole run, so replicas starting together migrate one at a time.
public struct MigrationRunner: Sendable {
    public struct Status: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let appliedAt: Date?
    }

    let database: any Database
    let migrations: [Migration]
    let logger: Logger
    /// Arbitrary constant naming Stoa's advisory lock.
    static let advisoryLockKey: Int64 = 0x5354_4F41   // "STOA"

    public init(database: any Database, migrations: [Migration] = Migration.all, logger: Logger) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// The latest version known to this binary.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Every known migration and when it was applied (`nil` = pending).
    public func status() async throws -> [Status] {
        let applied = try await database.withSession { session in try await Self.applied(session) }
        return migrations.map { Status(version: $0.version, name: $0.name, appliedAt: applied[$0.version]) }
    }

    /// Applies pending migrations up to `target` (default: all). Returns the versions applied.
    @discardableResult
    public func up(to target: Int? = nil) async throws -> [Int] {
        let target = target ?? latestVersion
        let migrations = self.migrations
        let logger = self.logger
        return try await locked { session in
            let applied = try await Self.applied(session)
            var done: [Int] = []
            for migration in migrations where migration.version <= target && applied[migration.version] == nil {
                let statements = migration.up[session.dialect] ?? []
                try await session.transaction { tx in
                    for statement in statements { _ = try await tx.query(statement, []) }
                    try await migration.fill?(tx)
                    _ = try await tx.query(
                        #"INSERT INTO "stoa_migration" ("version", "name", "appliedAt") VALUES (?, ?, ?)"#,
                        [.int(Int64(migration.version)), .text(migration.name), .date(Date())])
                }
                logger.info("migrated up", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                done.append(migration.version)
            }
            return done
        }
    }

    /// Reverts applied migrations above `target` (default: the last one only), newest first.
    @discardableResult
    public func down(to target: Int? = nil) async throws -> [Int] {
        let migrations = self.migrations
        let logger = self.logger
        return try await locked { session in
            let applied = try await Self.applied(session)
            let appliedVersions = applied.keys.sorted(by: >)
            let floor = target ?? (appliedVersions.dropFirst().first ?? 0)
            var done: [Int] = []
            for version in appliedVersions where version > floor {
                guard let migration = migrations.first(where: { $0.version == version }) else {
                    throw DatabaseError.query("migration \(version) was applied by a newer Stoa and cannot be reverted by this one")
                }
                let statements = migration.down[session.dialect] ?? []
                try await session.transaction { tx in
                    for statement in statements { _ = try await tx.query(statement, []) }
                    _ = try await tx.query(#"DELETE FROM "stoa_migration" WHERE "version" = ?"#, [.int(Int64(version))])
                }
                logger.info("migrated down", metadata: ["version": "\(version)", "name": "\(migration.name)"])
                done.append(version)
            }
            return done
        }
    }

    private func locked<T: Sendable>(_ body: @Sendable @escaping (any DatabaseSession) async throws -> T) async throws -> T {
        try await database.withSession { session in
            if session.dialect == .postgres {
                _ = try await session.query("SELECT pg_advisory_lock(?)", [.int(Self.advisoryLockKey)])
            }
            do {
                try await Self.ensureTable(session)
                let result = try await body(session)
                if session.dialect == .postgres {
                    _ = try await session.query("SELECT pg_advisory_unlock(?)", [.int(Self.advisoryLockKey)])
                }
                return result
            } catch {
                if session.dialect == .postgres {
                    _ = try? await session.query("SELECT pg_advisory_unlock(?)", [.int(Self.advisoryLockKey)])
                }
                throw error
            }
        }
    }

    static func ensureTable(_ executor: any SQLExecutor) async throws {
        let dateType = executor.dialect == .postgres ? "timestamptz" : "date"
        _ = try await executor.query(
            #"CREATE TABLE IF NOT EXISTS "stoa_migration" ("version" integer NOT NULL PRIMARY KEY, "name" text NOT NULL, "appliedAt" \#(dateType) NOT NULL)"#, [])
    }

    static func applied(_ executor: any SQLExecutor) async throws -> [Int: Date] {
        try await ensureTable(executor)
        var result: [Int: Date] = [:]
        for row in try await executor.query(#"SELECT "version", "appliedAt" FROM "stoa_migration""#, []) {
            result[Int(try row.int("version"))] = try row.date("appliedAt")
        }
        return result
    }
}
