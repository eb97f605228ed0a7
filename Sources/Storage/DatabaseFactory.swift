import Logging
import StoaCore

/// Opens the database a configuration names.
public enum DatabaseFactory {
    /// `connections` overrides the PostgreSQL settings' pool size (commands that run a few
    /// statements and exit need no more than one connection per event loop).
    public static func open(_ configuration: DatabaseConfiguration, connections: Int? = nil, logger: Logger) async throws -> any Database {
        switch configuration {
        case .sqlite(let path): return try await SQLiteDatabase.open(path: path, logger: logger)
        case .postgres(let settings): return try await PostgresDatabase.connect(settings, maxConnections: connections ?? settings.connections, logger: logger)
        }
    }
}
