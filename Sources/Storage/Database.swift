import Foundation

/// A statement run on every chat turn or request, worth preparing once per PostgreSQL
/// connection (SQLite caches every statement anyway): a type with its SQL, `?` placeholders.
public protocol PreparedSQL: Sendable {
    static var sql: String { get }
}

/// Runs SQL. Statements use `?` placeholders in both dialects; identifiers are double-quoted.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    /// Runs one statement and returns its rows (use `RETURNING` to read back writes).
    func query(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow]
    /// Runs a ``PreparedSQL`` statement: prepared once per connection on PostgreSQL.
    func query<Statement: PreparedSQL>(prepared: Statement.Type, _ binds: [DatabaseValue]) async throws -> [DatabaseRow]
}

extension SQLExecutor {
    public func query<Statement: PreparedSQL>(prepared: Statement.Type, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        try await query(Statement.sql, binds)
    }

    public func query(_ sql: String, _ binds: DatabaseValueConvertible...) async throws -> [DatabaseRow] {
        try await query(sql, binds.map(\.databaseValue))
    }
    @discardableResult
    public func execute(_ sql: String, _ binds: DatabaseValueConvertible...) async throws -> [DatabaseRow] {
        try await query(sql, binds.map(\.databaseValue))
    }
    public func first(_ sql: String, _ binds: DatabaseValueConvertible...) async throws -> DatabaseRow? {
        try await query(sql, binds.map(\.databaseValue)).first
    }
}

/// One connection held for a while (migrations hold one under an advisory lock).
public protocol DatabaseSession: SQLExecutor {
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
}

/// A database: SQLite file or PostgreSQL pool.
public protocol Database: SQLExecutor {
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body` on one connection.
    func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws -> T
    /// Checks that the database answers.
    func ping() async throws
    /// Closes connections; the database is unusable afterwards.
    func close() async
    /// How busy it is now (for metrics; cheap to read).
    var statistics: DatabaseStatistics { get }
}

extension Database {
    public func ping() async throws { _ = try await query("SELECT 1 AS one", []) }
}
