/// How busy a database is right now, for the metrics endpoint (read at scrape time).
public struct DatabaseStatistics: Sendable, Equatable {
    /// Statements, transactions and sessions running or waiting for a connection (PostgreSQL:
    /// each holds or waits for a pooled connection; SQLite: for the writer or a reader).
    public var operationsInFlight: Int
    /// Connections the pools may open at most (PostgreSQL); nil for SQLite.
    public var maxConnections: Int?
    /// SQLite reader connections opened (one per thread that has read); nil for PostgreSQL.
    public var readerConnections: Int?

    public init(operationsInFlight: Int = 0, maxConnections: Int? = nil, readerConnections: Int? = nil) {
        self.operationsInFlight = operationsInFlight
        self.maxConnections = maxConnections
        self.readerConnections = readerConnections
    }
}

extension Database {
    /// Nothing known (test doubles and wrappers that do not count).
    public var statistics: DatabaseStatistics { DatabaseStatistics() }
}
