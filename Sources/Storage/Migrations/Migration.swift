/// One reversible schema change, as plain SQL per dialect. Each entry of `up`/`down` is a
/// single statement (SQLite runs one statement per call).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let up: [SQLDialect: [String]]
    public let down: [SQLDialect: [String]]
    /// Data that SQL alone cannot fill, written after `up` in the same transaction.
    public let fill: (@Sendable (any SQLExecutor) async throws -> Void)?

    public init(version: Int, name: String, up: [SQLDialect: [String]], down: [SQLDialect: [String]],
                fill: (@Sendable (any SQLExecutor) async throws -> Void)? = nil) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
        self.fill = fill
    }

    /// The same statements in both dialects.
    public init(version: Int, name: String, up: [String], down: [String], fill: (@Sendable (any SQLExecutor) async throws -> Void)? = nil) {
        self.init(version: version, name: name, up: [.sqlite: up, .postgres: up], down: [.sqlite: down, .postgres: down], fill: fill)
    }
}

extension Migration {
    /// Every migration Stoa knows, in order. New features append here.
    public static let all: [Migration] = [
        .authTables,
        .conversations,
        .documents,
        .embeddings,
        .messageHTML,
        .authEvents,
        .mcpSessions,
        .mailOutbox,
    ]
}
