import Foundation
import Logging
import NIOPosix
import StoaCore
import Synchronization

/// An SQLite file in WAL mode with foreign keys on: one writer connection, and a reader
/// connection per thread.
///
/// Writes, transactions and sessions go to the writer, serialised through an async lock so a
/// transaction never interleaves with another task's statements. A lone read-only query
/// (``query(_:_:)`` with a `SELECT` that SQLite confirms writes nothing) takes no lock at all:
/// it runs on the calling thread's own reader connection, from start to end without suspending,
/// so no two tasks ever share a reader. WAL lets readers run beside the writer and see every
/// commit that finished before they started. Before readers, every request queued on the one
/// lock, and under load the hand-over from one event loop to the other made latency bimodal
/// (p50 6 ms, p99 1 s for `get-session` at 64 connections).
///
/// Statements run on the calling thread, straight through the C API with cached prepared
/// statements. A chat turn's statements take tens of microseconds each; handing each one to a
/// thread pool and back cost more than the statement itself (two thread wake-ups per statement,
/// plus one per row in sqlite-nio). Waiting is never done on the caller's thread: the
/// connection has no busy timeout, and a statement that finds the file locked by another process
/// (say `stoa docs ingest` next to a running server) is retried on a thread of its own that
/// waits up to ``busyTimeoutMilliseconds``, while other tasks queue on the async lock.
/// Checkpoints (the only writes that `fsync` with `synchronous=NORMAL`) are not left to the
/// commit that happens to fill the WAL: every ``checkpointInterval`` a second connection copies
/// the WAL back on that same thread, so no event loop waits for the disk; then the writer
/// connection, holding the writer's lock, copies the few frames committed meanwhile. That second
/// step matters: SQLite starts the WAL over only when a write begins after a checkpoint copied
/// every frame, and under steady writes a checkpoint beside them never catches up, so the WAL
/// grew without end (1.2 GB in eight seconds of chat turns; every commit then wrote to fresh
/// pages of the file, and every read searched more of the WAL index). The bulk of the copying
/// stays outside the lock, so writers wait only for the tail of it.
public final class SQLiteDatabase: Database, DatabaseSession {
    public let dialect: SQLDialect = .sqlite
    let connection: SQLiteConnectionHandle
    private let lock = AsyncLock()
    /// Reader connections, one per thread that has queried.
    private let readers: SQLiteReaders
    /// Where statements that found the file locked wait for it.
    private let waitingThread: NIOThreadPool
    public let path: String
    /// How long a statement waits for another process's lock before failing with "database is busy".
    static let busyTimeoutMilliseconds: Int32 = 5000
    /// How often the WAL is copied back into the database file.
    static let checkpointInterval: Duration = .milliseconds(250)
    private let checkpoints: Task<Void, Never>
    /// Statements, transactions and sessions running or waiting for the writer's lock.
    private let inFlight = Atomic<Int>(0)

    private init(connection: SQLiteConnectionHandle, checkpointConnection: SQLiteConnectionHandle, path: String) {
        self.connection = connection
        self.path = path
        self.readers = SQLiteReaders(path: path)
        let waitingThread = NIOThreadPool(numberOfThreads: 1)
        waitingThread.start()
        self.waitingThread = waitingThread
        let lock = self.lock
        self.checkpoints = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.checkpointInterval)
                guard !Task.isCancelled else { break }
                // PASSIVE never waits for readers; a reader still on old frames leaves them for the next round.
                _ = try? await waitingThread.runIfActive { try checkpointConnection.run("PRAGMA wal_checkpoint(PASSIVE)", []) }
                await lock.withLock {
                    _ = try? await waitingThread.runIfActive { try connection.run("PRAGMA wal_checkpoint(PASSIVE)", []) }
                }
            }
            _ = try? await waitingThread.runIfActive { checkpointConnection.close() }
        }
    }

    /// Opens (creating when missing) the database file at `path`, and its directory.
    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let connection = try SQLiteConnectionHandle(path: path)
        // Reads come from a memory map and a 32 MB page cache rather than a `pread` per page;
        // commits never checkpoint (see above).
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL",
                       "PRAGMA mmap_size=268435456", "PRAGMA cache_size=-32768", "PRAGMA wal_autocheckpoint=0",
                       "PRAGMA journal_size_limit=67108864"] {
            _ = try connection.run(pragma, [])
        }
        let checkpointConnection = try SQLiteConnectionHandle(path: path)
        _ = try checkpointConnection.run("PRAGMA synchronous=NORMAL", [])
        return SQLiteDatabase(connection: connection, checkpointConnection: checkpointConnection, path: path)
    }

    public func query(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        if let rows = try readers.runQuery(sql, binds) { return rows }
        return try await lock.withLock { try await self.run(sql, binds) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        return try await lock.withLock { try await self.runTransaction(body) }
    }

    public func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        return try await lock.withLock { try await body(HeldSQLiteSession(database: self)) }
    }

    public var statistics: DatabaseStatistics {
        DatabaseStatistics(operationsInFlight: inFlight.load(ordering: .relaxed), readerConnections: readers.count)
    }

    public func close() async {
        checkpoints.cancel()
        await checkpoints.value
        readers.close()
        await lock.withLock { connection.close() }   // the last connection to close checkpoints what is left
        try? await waitingThread.shutdownGracefully()
    }

    deinit {
        // Dropped without close(): stop the checkpoints and the thread (the handles close themselves).
        checkpoints.cancel()
        waitingThread.shutdownGracefully { _ in }
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
        do {
            return try connection.run(sql, binds)
        } catch is SQLiteConnectionHandle.Busy {
            return try await runWaiting(sql, binds)
        }
    }

    /// The same statement again, off the caller's thread, waiting for the other process's lock.
    private func runWaiting(_ sql: String, _ binds: [DatabaseValue]) async throws -> [DatabaseRow] {
        let connection = self.connection
        do {
            return try await waitingThread.runIfActive {
                connection.setBusyTimeout(milliseconds: Self.busyTimeoutMilliseconds)
                defer { connection.setBusyTimeout(milliseconds: 0) }
                return try connection.run(sql, binds)
            }
        } catch is SQLiteConnectionHandle.Busy {
            throw DatabaseError.unavailable("database is busy")
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

/// One reader connection per thread (see ``SQLiteDatabase``). A statement runs to its end on the
/// thread that started it, so a thread's reader is never used by two statements at once; the
/// per-reader lock only guards against ``close()`` racing a late query.
final class SQLiteReaders: Sendable {
    final class Reader: Sendable {
        let state: Mutex<SQLiteConnectionHandle?>
        init(_ handle: SQLiteConnectionHandle) { state = Mutex(handle) }
    }

    let path: String
    private let current = ThreadSpecificVariable<Reader>()
    private let all = Mutex<(readers: [Reader], closed: Bool)>(([], false))

    init(path: String) { self.path = path }

    /// Reader connections opened so far.
    var count: Int { all.withLock { $0.readers.count } }

    /// The rows of `sql` when it is a read-only query run on this thread's reader; `nil` when it
    /// must go to the writer (not a query, no reader could be opened, or the file was busy).
    func runQuery(_ sql: String, _ binds: [DatabaseValue]) throws -> [DatabaseRow]? {
        guard SQLiteConnectionHandle.looksLikeQuery(sql), let reader = reader() else { return nil }
        return try reader.state.withLock { handle -> [DatabaseRow]? in
            guard let handle else { return nil }
            do {
                return try handle.runQuery(sql, binds)
            } catch is SQLiteConnectionHandle.Busy {
                return nil   // the writer's path waits for the lock
            }
        }
    }

    private func reader() -> Reader? {
        if let reader = current.currentValue { return reader }
        guard !all.withLock({ $0.closed }), let handle = try? SQLiteConnectionHandle(path: path) else { return nil }
        // A query-only connection: reads come from the memory map; a small page cache of its own.
        for pragma in ["PRAGMA query_only=1", "PRAGMA mmap_size=268435456", "PRAGMA cache_size=-8192"] {
            guard (try? handle.run(pragma, [])) != nil else { handle.close(); return nil }
        }
        let reader = Reader(handle)
        let accepted = all.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.readers.append(reader)
            return true
        }
        guard accepted else { handle.close(); return nil }
        current.currentValue = reader
        return reader
    }

    func close() {
        let readers = all.withLock { state -> [Reader] in
            state.closed = true
            return state.readers
        }
        for reader in readers {
            reader.state.withLock { handle in
                handle?.close()
                handle = nil
            }
        }
    }
}
