import Foundation
import Logging
import NIOCore
import NIOSSL
import NIOPosix
import PostgresNIO
import StoaCore
import Synchronization

/// A PostgreSQL server through PostgresNIO's connection pools: one pool per event loop.
///
/// A request runs on its HTTP connection's event loop (`stoa` makes the event loops Swift's
/// global executor), and its queries go to a connection of the pool on that same loop, so
/// writing the query, reading the answer and resuming the request never hand work to another
/// thread. Off the loops (tests, CLI commands) any pool serves.
public final class PostgresDatabase: Database {
    public let dialect: SQLDialect = .postgres
    /// The pools in use; replaced when PostgreSQL goes away and again when it is back.
    private let pools: Mutex<Pools>
    private let next = Atomic<Int>(0)
    /// False while PostgreSQL is unreachable: queries then fail at once (503) instead of
    /// waiting in the pools' queues for a connection that cannot be made.
    let available = Atomic<Bool>(true)
    /// Set when a query fails for want of a connection: the monitor checks at once.
    let suspect = Atomic<Bool>(false)
    let configuration: PostgresClient.Configuration
    /// The same server for a single connection of the availability probe.
    let probeConfiguration: PostgresConnection.Configuration
    /// Operations holding or waiting for a pooled connection (PostgresNIO does not publish its pool's state).
    private let inFlight = Atomic<Int>(0)
    /// The pools' connection limits, summed.
    private let maxConnections: Int
    let logger: Logger
    private let monitor = Mutex<Task<Void, Never>?>(nil)
    /// This process's lease (``takeLease(_:)``), released by ``close()``.
    let leases = Mutex<SoleProcessLease?>(nil)

    /// One PostgresNIO pool per event loop, the connections kept from each
    /// (``KeptConnections``), and the task that runs them.
    final class Pools: Sendable {
        let clients: [(loop: any EventLoop, client: PostgresClient, kept: KeptConnections)]
        let runTask: Task<Void, Never>

        /// Makes and starts the pools and their keepers. Only the keepers lease from PostgresNIO's
        /// pools, a moment after the pools' `run()` begins (PostgresNIO warns about a lease before).
        static func start(_ configuration: PostgresClient.Configuration, logger: Logger) -> Pools {
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
            let clients = loops.map { loop in
                (loop: loop, client: PostgresClient(configuration: configuration, eventLoopGroup: loop, backgroundLogger: logger),
                 kept: KeptConnections(size: configuration.options.maximumConnections))
            }
            return Pools(clients: clients, runTask: Task {
                await withDiscardingTaskGroup { group in
                    for (_, client, _) in clients { group.addTask { await client.run() } }
                    try? await Task.sleep(for: .milliseconds(5))
                    for (_, client, kept) in clients {
                        for _ in 0..<kept.size { group.addTask { await kept.keep(from: client) } }
                    }
                }
            })
        }

        private init(clients: [(loop: any EventLoop, client: PostgresClient, kept: KeptConnections)], runTask: Task<Void, Never>) {
            self.clients = clients
            self.runTask = runTask
        }

        /// Shuts the pools down: requests waiting for a connection fail at once; connections in
        /// use close when their requests give them back.
        func stop() async {
            for entry in clients { entry.kept.stop() }
            runTask.cancel()
            _ = await runTask.result
        }
    }

    /// Puts `fresh` in place and returns the pools it replaces.
    func swapPools(_ fresh: Pools) -> Pools {
        pools.withLock { current in
            let old = current
            current = fresh
            return old
        }
    }

    private init(pools: Pools, configuration: PostgresClient.Configuration, maxConnections: Int, probeConfiguration: PostgresConnection.Configuration, logger: Logger) {
        self.pools = Mutex(pools)
        self.maxConnections = maxConnections
        self.configuration = configuration
        self.probeConfiguration = probeConfiguration
        self.logger = logger
    }

    /// The kept connections of the event loop this code runs on, else of the loops in turn;
    /// throws at once while PostgreSQL is known to be unreachable.
    var kept: KeptConnections {
        get throws {
            guard available.load(ordering: .relaxed) else { throw Self.unreachable }
            let clients = pools.withLock { $0.clients }
            if let current = MultiThreadedEventLoopGroup.currentEventLoop {
                for entry in clients where entry.loop === current { return entry.kept }
            }
            return clients[next.add(1, ordering: .relaxed).oldValue % clients.count].kept
        }
    }

    /// Runs `body` on a kept connection of this event loop's pool (see ``kept``).
    func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await kept.withConnection(body)
    }

    /// `application_name` of the pools' connections, and of the availability probe's.
    public static let applicationName = "stoa"
    public static let probeApplicationName = "stoa-probe"

    static let unreachable = DatabaseError.unavailable("PostgreSQL is unreachable")
    static let connectionClosed = DatabaseError.unavailable("PostgreSQL closed the connection")

    /// Connects to PostgreSQL and checks that it answers (so bad settings fail at start-up).
    /// `maxConnections` is shared out between the event loops' pools.
    public static func connect(_ settings: DatabaseConfiguration.PostgresSettings, maxConnections: Int? = nil, logger: Logger) async throws -> PostgresDatabase {
        let maxConnections = maxConnections ?? settings.connections
        var configuration: PostgresClient.Configuration
        var probe: PostgresConnection.Configuration
        if let socketDirectory = settings.socketDirectory {
            let socket = (socketDirectory as NSString).appendingPathComponent(".s.PGSQL.\(settings.port)")
            configuration = .init(unixSocketPath: socket, username: settings.username, password: settings.password, database: settings.database)
            probe = .init(unixSocketPath: socket, username: settings.username, password: settings.password, database: settings.database)
        } else {
            configuration = .init(host: settings.host, port: settings.port, username: settings.username,
                                  password: settings.password, database: settings.database, tls: try tls(for: settings.tls))
            probe = .init(host: settings.host, port: settings.port, username: settings.username,
                          password: settings.password, database: settings.database, tls: try connectionTLS(for: settings.tls))
        }
        probe.options.connectTimeout = .seconds(Int64(Self.probeTimeout.components.seconds))
        // Named in pg_stat_activity, so an operator (or a test) tells the pools from the probe.
        configuration.options.additionalStartupParameters = [("application_name", Self.applicationName)]
        probe.options.additionalStartupParameters = [("application_name", Self.probeApplicationName)]
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().reduce(0) { count, _ in count + 1 }
        configuration.options.maximumConnections = max(2, maxConnections / loops)
        configuration.options.connectTimeout = .seconds(10)
        // Minimum 0, never minimum = maximum: PostgresNIO 1.33 traps (a precondition in its pool,
        // signal 4) when a request needs a new connection while the pool holds fewer than its
        // minimum, as after PostgreSQL ended connections and some reconnects failed (a restart
        // under load). The keepers (``KeptConnections``) lease every connection at start and hold
        // it, so no idle timer is armed per request either. Idle connections are not pinged.
        configuration.options.minimumConnections = 0
        configuration.options.keepAliveBehavior = nil
        let db = PostgresDatabase(pools: Pools.start(configuration, logger: logger), configuration: configuration,
                                  maxConnections: configuration.options.maximumConnections * loops,
                                  probeConfiguration: probe, logger: logger)
        do {
            try await db.ping()
        } catch {
            await db.close()
            throw DatabaseError.unavailable("cannot reach PostgreSQL at \(settings.redacted): \(PostgresDatabase.describe(error))")
        }
        db.monitor.withLock { $0 = Task { [weak db] in await db?.watchAvailability() } }
        return db
    }

    static func tls(for mode: DatabaseConfiguration.TLSMode) throws -> PostgresClient.Configuration.TLS {
        guard let config = tlsConfiguration(for: mode) else { return .disable }
        switch mode {
        case .allow, .prefer: return .prefer(config)
        default: return .require(config)
        }
    }

    /// The same TLS settings for a single ``PostgresConnection``.
    static func connectionTLS(for mode: DatabaseConfiguration.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        guard let config = tlsConfiguration(for: mode) else { return .disable }
        let context = try NIOSSLContext(configuration: config)
        switch mode {
        case .allow, .prefer: return .prefer(context)
        default: return .require(context)
        }
    }

    /// The client TLS configuration of `mode`; nil when TLS is off.
    static func tlsConfiguration(for mode: DatabaseConfiguration.TLSMode) -> TLSConfiguration? {
        var config = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .allow, .prefer, .require: config.certificateVerification = .none
        case .verifyCA: config.certificateVerification = .noHostnameVerification
        case .verifyFull: break
        }
        return config
    }

    public var statistics: DatabaseStatistics {
        DatabaseStatistics(operationsInFlight: inFlight.load(ordering: .relaxed), maxConnections: maxConnections)
    }

    public func query(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            let query = try PostgresDatabase.makeQuery(sql, binds)
            return try await withConnection { connection in
                try await PostgresConnectionSession(connection: connection, logger: self.logger).run(query)
            }
        } catch {
            throw failed(error)
        }
    }

    public func query<Statement: PreparedSQL>(prepared: Statement.Type, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            return try await withConnection { connection in
                try await PostgresConnectionSession(connection: connection, logger: self.logger).query(prepared: Statement.self, binds)
            }
        } catch {
            throw failed(error)
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            // BEGIN, COMMIT and ROLLBACK go through the session (not PostgresNIO's withTransaction),
            // so a connection lost mid-transaction fails them too instead of leaving them waiting.
            return try await withConnection { connection in
                try await PostgresConnectionSession(connection: connection, logger: self.logger).transaction(body)
            }
        } catch {
            throw failed(error)
        }
    }

    public func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            return try await withConnection { connection in
                try await body(PostgresConnectionSession(connection: connection, logger: self.logger))
            }
        } catch {
            throw failed(error)
        }
    }

    public func close() async {
        if let lease = leases.withLock({ $0.take() }) { await lease.release() }
        monitor.withLock { $0?.cancel() }
        await pools.withLock { $0 }.stop()
    }

    /// `error` as a ``DatabaseError``; one that says the connection is gone also has the
    /// availability monitor check PostgreSQL at once.
    func failed(_ error: Error) -> Error {
        let mapped = Self.map(error)
        if case DatabaseError.unavailable = mapped { suspect.store(true, ordering: .relaxed) }
        return mapped
    }

    // MARK: - Translation

    static func makeQuery(_ sql: String, _ binds: [DatabaseValue]) throws -> PostgresQuery {
        PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: bindings(binds))
    }

    /// Turns `?` placeholders into `$1, $2, …`, leaving quoted text alone.
    static func numberedPlaceholders(_ sql: String) -> String {
        var converted = ""
        converted.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quote: Character? = nil
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                converted.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                converted.append(ch)
            } else if ch == "?" {
                index += 1
                converted += "$\(index)"
            } else {
                converted.append(ch)
            }
        }
        return converted
    }

    static func bindings(_ binds: [DatabaseValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .text(let s): bindings.append(s)
            case .int(let i): bindings.append(i)
            case .double(let d): bindings.append(d)
            case .bool(let b): bindings.append(b)
            case .date(let d):
                // Store whole milliseconds (as JavaScript and SQLite do), so a cursor built from a
                // value read back compares equal to the stored row. PostgresNIO truncates to
                // microseconds; the 0.4 µs nudge keeps Double rounding from dropping one.
                let ms = (d.timeIntervalSince1970 * 1000).rounded()
                bindings.append(Date(timeIntervalSince1970: ms / 1000 + 4e-7))
            }
        }
        return bindings
    }

    static func collect(_ rows: PostgresRowSequence) async throws -> [DatabaseRow] {
        let reader = RowReader()
        return try await collect(rows.map { try reader.read($0) })
    }

    /// The rows of a prepared statement (already decoded by ``PreparedPostgresStatement``).
    static func collect<Rows: AsyncSequence>(_ rows: Rows) async throws -> [DatabaseRow] where Rows.Element == DatabaseRow {
        var result: [DatabaseRow] = []
        for try await row in rows { result.append(row) }
        return result
    }

    /// One cell's value, by the column's PostgreSQL type.
    static func value(_ cell: PostgresCell) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return .bool(try cell.decode(Bool.self))
        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .timestamptz, .timestamp, .date: return .date(try cell.decode(Date.self))
        case .numeric: return .double(Double(try cell.decode(String.self)) ?? 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    static func map(_ error: Error) -> Error {
        if let psql = error as? PSQLError {
            if psql.serverInfo?[.sqlState] == "23505" { return DatabaseError.uniqueViolation }
            if isConnectionLoss(psql) { return DatabaseError.unavailable(describe(psql)) }
            return DatabaseError.query(describe(psql))
        }
        // The pool's own errors (its circuit breaker) are of a type PostgresNIO does not export.
        if String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError") { return DatabaseError.unavailable("\(error)") }
        return error
    }

    /// Whether `error` means "no connection" rather than "this statement failed": the
    /// connection broke or could not be made, or the server is shutting down or starting up
    /// (SQLSTATE class 08, 57P01–57P03).
    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .poolClosed:
            return true
        default:
            guard let state = error.serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        }
    }

    static func describe(_ error: Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}

/// One leased PostgreSQL connection.
struct PostgresConnectionSession: DatabaseSession {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func query(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        try await run(PostgresDatabase.makeQuery(sql, binds))
    }

    /// Runs `query` and collects its rows; a lost connection fails it (``PostgresConnection/answering(_:)``).
    func run(_ query: PostgresQuery) async throws -> [DatabaseRow] {
        let logger = self.logger
        do {
            return try await connection.answering { connection in
                try await PostgresDatabase.collect(connection.query(query, logger: logger))
            }
        } catch {
            throw PostgresDatabase.map(error)
        }
    }

    func query<Statement: PreparedSQL>(prepared: Statement.Type, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        let logger = self.logger
        do {
            return try await connection.answering { connection in
                try await PostgresDatabase.collect(connection.execute(PreparedPostgresStatement<Statement>(binds: binds), logger: logger))
            }
        } catch {
            throw PostgresDatabase.map(error)
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        _ = try await query("BEGIN", [])
        do {
            let result = try await body(self)
            _ = try await query("COMMIT", [])
            return result
        } catch {
            _ = try? await query("ROLLBACK", [])
            throw error
        }
    }
}

/// A ``PreparedSQL`` statement as PostgresNIO prepares it: once per connection, by name, and
/// then only bound and executed (no parsing or planning per call).
struct PreparedPostgresStatement<Statement: PreparedSQL>: PostgresPreparedStatement {
    let binds: [DatabaseValue]

    static var name: String { PreparedSQLText.of(Statement.self).name }
    static var sql: String { PreparedSQLText.of(Statement.self).sql }

    func makeBindings() throws -> PostgresBindings { PostgresDatabase.bindings(binds) }
    /// The rows of one execution share their columns (PostgresNIO decodes them in turn).
    let reader = RowReader()

    func decodeRow(_ row: PostgresRow) throws -> DatabaseRow { try reader.read(row) }
}

/// Reads the rows of one result: the column names come from its first row and are shared by
/// the rest, so a row costs an array of values rather than a dictionary of its own.
final class RowReader: Sendable {
    private let columns = Mutex<DatabaseColumns?>(nil)

    func read(_ row: PostgresRow) throws -> DatabaseRow {
        let known = columns.withLock { $0 }
        var cells: [DatabaseValue] = []
        cells.reserveCapacity(row.count)
        for cell in row { cells.append(try PostgresDatabase.value(cell)) }
        if let known, known.names.count == cells.count { return DatabaseRow(columns: known, cells: cells) }
        let made = DatabaseColumns(row.map(\.columnName))
        columns.withLock { $0 = made }
        return DatabaseRow(columns: made, cells: cells)
    }
}

/// The server-side name and `$n`-numbered SQL of each prepared statement, made once (PostgresNIO
/// asks for both on every execution).
enum PreparedSQLText {
    private static let cache = Mutex<[ObjectIdentifier: (name: String, sql: String)]>([:])

    static func of<Statement: PreparedSQL>(_ statement: Statement.Type) -> (name: String, sql: String) {
        let key = ObjectIdentifier(statement)
        if let entry = cache.withLock({ $0[key] }) { return entry }
        let entry = (name: "stoa." + String(reflecting: statement), sql: PostgresDatabase.numberedPlaceholders(Statement.sql))
        cache.withLock { $0[key] = entry }
        return entry
    }
}
