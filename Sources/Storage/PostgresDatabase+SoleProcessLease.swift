import Logging
import PostgresNIO
import Synchronization

/// Tells a server whether it is the only Stoa process on its PostgreSQL database, so that it
/// may answer a read from memory without asking PostgreSQL: while it is sole, nothing but this
/// process can have written since it read.
///
/// Every Stoa process on a database holds a PostgreSQL advisory lock on one key, on a
/// connection of its own (`application_name` `stoa-lease`):
/// - a server (``Mode/candidate``) tries to hold it alone; a server that cannot, and any other
///   process (``Mode/member``: a CLI command, `stoa mcp`), holds it shared;
/// - a shared request waits while a server holds the lock alone. That server looks for such a
///   wait every ``soleCheck``; when it sees one it stops being sole (`onChange(false)` runs
///   first, so the server drops what it kept from memory) and only then lets the other in. So
///   no other process writes while a server answers from memory.
/// - A server that is not sole tries again every ``retryInterval``, and after it gets the lock
///   alone it waits ``settle`` before calling itself sole: a process whose lease connection was
///   lost a moment ago (a PostgreSQL restart) has that long to come back and ask to share.
/// - A sole server whose lease connection fails, or does not answer within ``answerTimeout``,
///   stops being sole at once (PostgreSQL may be about to hand the lock on).
///   (``answerTimeout`` must stay well under ``waitLimit``.)
/// - A process that waits longer than ``waitLimit`` for a server holding the lock alone ends
///   that server's lease connection (a server that does not answer has stopped being sole on
///   its own by then) and asks again.
///
/// SQLite has no lease: nothing there is answered from memory this way.
public final class SoleProcessLease: Sendable {
    /// How a process takes part.
    public enum Mode: Sendable { case candidate, member }

    /// The lock's key (`pg_advisory_lock(int4, int4)`: "Stoa", 1).
    static let key = (1_400_139_617, 1)
    /// The key as the lock functions' arguments.
    static let keyArguments = "\(key.0), \(key.1)"
    /// The rows of `pg_locks` that are this lock, on this database (add conditions after it).
    static let lockRows = """
        FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = \(key.0) AND objid = \(key.1) AND objsubid = 2
        """

    let database: PostgresDatabase
    let mode: Mode
    let soleCheck: Duration
    let retryInterval: Duration
    let settle: Duration
    let answerTimeout: Duration
    let waitLimit: Duration
    /// How long a statement that no one is waiting on may take before its connection counts as
    /// lost (joining, a member's keep-alive, a try for the lock): generous, for a loaded machine.
    /// The sole server's checks get ``answerTimeout``.
    static let patience = Duration.seconds(15)
    /// Whether sole, and who hears of a change (under one lock, so a handler set late is told
    /// the state it missed, and changes reach it in order).
    private let sole = Mutex<(value: Bool, handler: (@Sendable (Bool) -> Void)?)>((false, nil))
    private let held = Mutex<(connection: PostgresConnection?, task: Task<Void, Never>?, closed: Bool)>((nil, nil, false))

    /// True while this process is the only Stoa process on the database.
    public var isSole: Bool { sole.withLock { $0.value } }

    /// Calls `handler` now with ``isSole`` and then with each change of it: with `false` before
    /// another process may write, with `true` once this one holds the database alone.
    public func onChange(_ handler: @escaping @Sendable (Bool) -> Void) {
        sole.withLock { sole in
            sole.handler = handler
            handler(sole.value)
        }
    }

    init(database: PostgresDatabase, mode: Mode, soleCheck: Duration, retryInterval: Duration, settle: Duration,
         answerTimeout: Duration, waitLimit: Duration) {
        self.database = database; self.mode = mode
        self.soleCheck = soleCheck; self.retryInterval = retryInterval; self.settle = settle
        self.answerTimeout = answerTimeout; self.waitLimit = waitLimit
    }

    /// Takes the lease on `database` (alone or shared; returns once held, so the caller may then
    /// write) and keeps it in the background until ``release()``: it reconnects when its
    /// connection is lost, and a candidate steps down and takes the lock alone again as other
    /// processes come and go. ``PostgresDatabase/takeLease(_:)`` is the usual way in.
    static func take(
        on database: PostgresDatabase, mode: Mode,
        soleCheck: Duration = .milliseconds(100), retryInterval: Duration = .seconds(2), settle: Duration = .seconds(3),
        answerTimeout: Duration = .seconds(2), waitLimit: Duration = .seconds(5)
    ) async throws -> SoleProcessLease {
        let lease = SoleProcessLease(database: database, mode: mode, soleCheck: soleCheck, retryInterval: retryInterval, settle: settle,
                                     answerTimeout: answerTimeout, waitLimit: waitLimit)
        let (connection, alone) = try await lease.join()
        let task = Task { await lease.keep(connection, alone: alone) }
        lease.held.withLock { $0.task = task }
        return lease
    }

    /// Stops being sole, lets the lock go (by closing its connection) and stops the background work.
    public func release() async {
        let (connection, task) = held.withLock { held in
            held.closed = true
            return (held.connection, held.task)
        }
        step(sole: false)
        task?.cancel()
        try? await connection?.close()
        await task?.value
    }

    // MARK: - Joining

    /// Connects and holds the lock: alone if a candidate can, else shared (waiting while a
    /// server holds it alone, and ending that server's lease connection after ``waitLimit``).
    func join() async throws -> (PostgresConnection, alone: Bool) {
        var configuration = database.probeConfiguration
        configuration.options.additionalStartupParameters = [("application_name", PostgresDatabase.leaseApplicationName)]
        let connection = try await connect(configuration)
        held.withLock { $0.connection = connection }
        do {
            if held.withLock({ $0.closed }) { throw PostgresDatabase.connectionClosed }
            if mode == .candidate, try await ask(connection, "SELECT pg_try_advisory_lock(\(Self.keyArguments)) AS ok") {
                return (connection, true)
            }
            _ = try await ask(connection, "SET lock_timeout = '\(Int(waitLimit / .milliseconds(1)))ms'")
            while true {
                do {
                    _ = try await ask(connection, "SELECT pg_advisory_lock_shared(\(Self.keyArguments))", within: nil)
                    return (connection, false)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {   // lock_not_available
                    database.logger.warning("a Stoa server holding the database alone did not let go within the wait limit; ending its lease connection",
                                            metadata: ["waited": "\(waitLimit)"])
                    _ = try? await ask(connection, "SELECT bool_and(pg_terminate_backend(pid)) AS ok \(Self.lockRows) AND mode = 'ExclusiveLock' AND granted")
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A new lease connection. A server at `max_connections`, or one starting up, is asked
    /// again (up to ``connectPatience`` in all, pausing 50 ms and then longer), as PostgresNIO's
    /// pools do; other failures are thrown at once.
    func connect(_ configuration: PostgresConnection.Configuration) async throws -> PostgresConnection {
        let deadline = ContinuousClock.now + Self.connectPatience
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: database.logger)
            } catch let error as PSQLError where ["53300", "57P03"].contains(error.serverInfo?[.sqlState] ?? "") && ContinuousClock.now + pause < deadline {
                try await Task.sleep(for: pause)   // too many connections; the database system is starting up
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    /// How long ``connect(_:)`` keeps asking a server that is full or starting up.
    static let connectPatience = Duration.seconds(30)

    // MARK: - Keeping

    /// Holds the lease on `connection`, then on new connections after each loss, until released.
    func keep(_ connection: PostgresConnection, alone: Bool) async {
        var connection: PostgresConnection? = connection
        var alone = alone
        var pause = Duration.milliseconds(100)
        while !Task.isCancelled {
            if let current = connection {
                do {
                    try await hold(current, alone: alone)
                } catch {
                    step(sole: false)
                    if Task.isCancelled || held.withLock({ $0.closed }) { return }
                    database.logger.warning("lost the lease connection to PostgreSQL; taking the lease again",
                                            metadata: ["error": "\(PostgresDatabase.describe(error))"])
                    try? await current.close()
                }
                connection = nil
            }
            try? await Task.sleep(for: pause)
            if Task.isCancelled || held.withLock({ $0.closed }) { return }
            do {
                (connection, alone) = try await join()
                pause = .milliseconds(100)
            } catch {
                pause = min(pause * 2, .seconds(2))
                database.logger.debug("cannot take the lease yet", metadata: ["error": "\(PostgresDatabase.describe(error))"])
            }
        }
    }

    /// One connection's life: a candidate alternates between sole (checking for processes
    /// waiting to share) and sharing (trying to hold the lock alone again). Throws when the
    /// connection fails or stops answering.
    func hold(_ connection: PostgresConnection, alone: Bool) async throws {
        var alone = alone
        var aloneSince = ContinuousClock.now
        while !Task.isCancelled {
            if alone {
                let waiting = try await ask(connection, "SELECT count(*) > 0 AS ok \(Self.lockRows) AND NOT granted", within: answerTimeout)
                if waiting {
                    // Forget first, then let the other process in (share, then drop the lone hold).
                    step(sole: false)
                    _ = try await ask(connection, "SELECT pg_advisory_lock_shared(\(Self.keyArguments))", within: answerTimeout)
                    _ = try await ask(connection, "SELECT pg_advisory_unlock(\(Self.keyArguments)) AS ok", within: answerTimeout)
                    alone = false
                    database.logger.info("another Stoa process uses the database: every read goes to it")
                    continue
                }
                if !isSole, ContinuousClock.now - aloneSince >= settle {
                    step(sole: true)
                    database.logger.info("the only Stoa process on the database: repeated reads may be answered from memory")
                }
                try await Task.sleep(for: soleCheck)
            } else {
                guard mode == .candidate else {
                    // A member only keeps its shared hold (and notices a lost connection).
                    _ = try await ask(connection, "SELECT true AS ok")
                    try await Task.sleep(for: retryInterval)
                    continue
                }
                try await Task.sleep(for: retryInterval)
                if try await ask(connection, "SELECT pg_try_advisory_lock(\(Self.keyArguments)) AS ok") {
                    _ = try await ask(connection, "SELECT pg_advisory_unlock_shared(\(Self.keyArguments)) AS ok")
                    alone = true
                    aloneSince = ContinuousClock.now
                }
            }
        }
    }

    /// Sets ``isSole``, calling `onChange` when it changes: before the lock is let go when it
    /// becomes false, after the settle time when it becomes true.
    func step(sole value: Bool) {
        sole.withLock { sole in
            guard sole.value != value else { return }
            sole.value = value
            sole.handler?(value)
        }
    }

    /// The first column of `sql`'s last row when it is a boolean (else false); fails when no
    /// answer comes within `within` (the connection is then treated as lost). Nil: no limit here
    /// (a wait for the lock, bounded by PostgreSQL's `lock_timeout`).
    func ask(_ connection: PostgresConnection, _ sql: String, within limit: Duration? = SoleProcessLease.patience) async throws -> Bool {
        let logger = database.logger
        let run: @Sendable () async throws -> Bool = {
            try await connection.answering { connection in
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                var answer = false
                for try await row in rows { answer = (try? row.decode(Bool.self)) ?? false }
                return answer
            }
        }
        guard let limit else { return try await run() }
        return try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask { try await run() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                throw DatabaseError.unavailable("PostgreSQL did not answer the lease connection within \(limit)")
            }
            return answer
        }
    }
}

extension PostgresDatabase {
    /// `application_name` of a process's lease connection (``SoleProcessLease``).
    public static let leaseApplicationName = "stoa-lease"

    /// Takes this process's lease on the database (see ``SoleProcessLease``), held until
    /// ``close()``: `stoa serve` as a candidate, every other command that opens PostgreSQL as a
    /// member, before it writes anything.
    public func takeLease(_ mode: SoleProcessLease.Mode) async throws -> SoleProcessLease {
        let lease: SoleProcessLease
        do {
            lease = try await SoleProcessLease.take(on: self, mode: mode)
        } catch {
            throw DatabaseError.unavailable("cannot take the lease on PostgreSQL: \(Self.describe(error))")
        }
        let old = leases.withLock { held in
            defer { held = lease }
            return held
        }
        await old?.release()
        return lease
    }

    /// The lease taken with ``takeLease(_:)``, if any.
    public var lease: SoleProcessLease? { leases.withLock { $0 } }
}
