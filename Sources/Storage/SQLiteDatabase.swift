import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import StoaCore

/// An SQLite file: one connection in WAL mode with foreign keys on. Statements are serialised
/// through an async lock so a transaction never interleaves with another task's statements.
public final class SQLiteDatabase: Database, DatabaseSession {
    public let dialect: SQLDialect = .sqlite
    let connection: SQLiteConnection
    private let lock = AsyncLock()
    public let path: String

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Opens (creating when missing) the database file at `path`, and its directory.
    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let db = SQLiteDatabase(connection: connection, path: path)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000", "PRAGMA synchronous=NORMAL"] {
            _ = try await connection.query(pragma, [])
        }
        return db
    }

    public func query(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        try await lock.withLock { try await self.run(sql, binds) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock { try await self.runTransaction(body) }
    }

    public func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await lock.withLock { try await body(HeldSQLiteSession(database: self)) }
    }

    public func close() async {
        try? await connection.close()
    }

    func runTransaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        _ = try await run("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(HeldSQLiteSession(database: self))
            _ = try await run("COMMIT", [])
            return result
        } catch {
            _ = try? await run("ROLLBACK", [])
            throw error
        }
    }

    /// Runs a statement on the connection; the caller holds the lock.
    func run(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        let data: [SQLiteData] = binds.map { value in
            switch value {
            case .null: return .null
            case .text(let s): return .text(s)
            case .int(let i): return .integer(Int(i))
            case .double(let d): return .float(d)
            case .bool(let b): return .integer(b ? 1 : 0)
            case .date(let d): return .text(ISO8601.string(from: d))
            }
        }
        do {
            let rows = try await connection.query(sql, data)
            return rows.map { row in
                var values: [String: DatabaseValue] = [:]
                for column in row.columns {
                    switch column.data {
                    case .integer(let i): values[column.name] = .int(Int64(i))
                    case .float(let d): values[column.name] = .double(d)
                    case .text(let s): values[column.name] = .text(s)
                    case .blob(let b): values[column.name] = .text(String(buffer: b))
                    case .null: values[column.name] = .null
                    }
                }
                return DatabaseRow(values: values)
            }
        } catch let error as SQLiteError {
            if error.message.contains("UNIQUE constraint failed") { throw DatabaseError.uniqueViolation }
            if error.reason == .busy || error.reason == .locked { throw DatabaseError.unavailable("database is busy") }
            throw DatabaseError.query(error.message)
        }
    }
}

/// The SQLite connection while its lock is held (inside a transaction or a session).
struct HeldSQLiteSession: DatabaseSession {
    let database: SQLiteDatabase
    var dialect: SQLDialect { .sqlite }
    func query(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        try await database.run(sql, binds)
    }
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await database.runTransaction(body)
    }
}
