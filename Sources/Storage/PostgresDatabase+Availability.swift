import Foundation
import Logging
import PostgresNIO

/// Failing fast while PostgreSQL is away, and coming back quickly when it returns.
///
/// Left alone, PostgresNIO's pools keep a request waiting for a connection until one can be
/// made, however long that takes: a request during an outage would hang for the whole
/// outage. So a monitor pings through the pools every second. When a ping gets no answer
/// within ``pingTimeout`` (or a query has just lost its connection), it opens a fresh
/// connection outside the pools (``probe()``); when that is refused or broken, PostgreSQL is
/// *unreachable* (a busy pool or a slow server is not): queries fail at once with
/// ``DatabaseError/unavailable`` (HTTP 503), and the pools are replaced, which fails the
/// requests already waiting in them. The probe then tries a fresh connection every
/// ``probeInterval``; the first that answers makes PostgreSQL *available* again, on fresh
/// pools (whose reconnection back-off starts from zero).
extension PostgresDatabase {
    static let pingInterval: Duration = .seconds(1)
    static let pingTimeout: Duration = .seconds(1)
    /// How long a fresh connection may take to open before PostgreSQL counts as unreachable
    /// (a refused connection fails at once).
    static let probeTimeout: Duration = .seconds(10)
    static let probeInterval: Duration = .milliseconds(250)

    /// Runs until cancelled (``close()``).
    func watchAvailability() async {
        var sinceLastPing: Duration = .zero
        let tick: Duration = .milliseconds(100)
        while !Task.isCancelled {
            try? await Task.sleep(for: available.load(ordering: .relaxed) ? tick : Self.probeInterval)
            if Task.isCancelled { return }
            if available.load(ordering: .relaxed) {
                sinceLastPing += tick
                let suspected = suspect.exchange(false, ordering: .relaxed)
                guard suspected || sinceLastPing >= Self.pingInterval else { continue }
                sinceLastPing = .zero
                // After a lost connection the pools would only queue the ping: ask a fresh one.
                if !suspected, await answers(using: try? kept) { continue }
                // The pools did not answer in time: busy, or is PostgreSQL gone?
                guard let why = await probe() else { continue }
                available.store(false, ordering: .relaxed)
                logger.error("PostgreSQL is unreachable: answering 503 until it is back", metadata: ["reason": "\(why)", "afterLostConnection": "\(suspected)"])
                await replacePools()
            } else if await freshConnectionAnswers() {
                await replacePools()
                available.store(true, ordering: .relaxed)
                logger.notice("PostgreSQL is reachable again")
            }
        }
    }

    /// Whether a connection kept from the pools answers `SELECT 1` within ``pingTimeout``.
    func answers(using kept: KeptConnections?) async -> Bool {
        guard let kept else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    _ = try await kept.withConnection { connection in
                        try await PostgresConnectionSession(connection: connection, logger: self.logger).run("SELECT 1")
                    }
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: Self.pingTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Whether a new connection, made outside the pools, can be opened and asked `SELECT 1`.
    func freshConnectionAnswers() async -> Bool {
        await probe() == nil
    }

    /// Opens a new connection outside the pools and asks `SELECT 1`. Nil when PostgreSQL is
    /// there, else why not. Only a connection that is refused, breaks, or is turned away by a
    /// server shutting down or starting up counts as "not there": an answer of any other kind
    /// (even "too many connections") shows the server is up, and a server that accepts the
    /// connection but is slow to answer is busy, not gone (a machine under heavy load must not
    /// be mistaken for an outage). A connection attempt that gets no answer at all fails after
    /// ``probeTimeout`` and then counts as "not there".
    func probe() async -> String? {
        let config = probeConfiguration
        let logger = self.logger
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
                    defer { Task { try? await connection.close() } }
                    _ = try await connection.answering { try await $0.query("SELECT 1", logger: logger).collect() }
                    return nil
                } catch let error as PSQLError where error.serverInfo != nil && !PostgresDatabase.isConnectionLoss(error) {
                    return nil   // the server answered, if only to refuse: it is there
                } catch {
                    return PostgresDatabase.describe(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: Self.probeTimeout + .seconds(2))
                return nil   // connected but no answer yet: slow, not gone
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Swaps in fresh pools and shuts the old ones down (in the background: a connection
    /// still leased from them, such as the change listener's, must not hold the monitor up).
    func replacePools() async {
        let fresh = Pools.start(configuration, logger: logger)
        let old = swapPools(fresh)
        Task { await old.stop() }
    }
}
