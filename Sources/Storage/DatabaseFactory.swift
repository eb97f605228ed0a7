import Logging
import StoaCore

/// Opens the database a configuration names.
public enum DatabaseFactory {
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger) async throws -> any Database {
        switch configuration {
        case .sqlite(let path): return try await SQLiteDatabase.open(path: path, logger: logger)
        case .postgres(let settings): return try await PostgresDatabase.connect(settings, logger: logger)
        }
    }
}
