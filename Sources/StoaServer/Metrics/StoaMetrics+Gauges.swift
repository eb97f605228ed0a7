import Identity
import NIOConcurrencyHelpers
import Prometheus
import Storage

extension StoaMetrics {
    /// Reads the database's own counts at every scrape: operations in flight, and the pool's
    /// limit (PostgreSQL) or the reader connections (SQLite).
    func sample(database: any Database) {
        let inFlight = registry.gauge("stoa_db_operations_in_flight", help: "Database statements, transactions and sessions running or waiting for a connection.")
        let first = database.statistics
        let maxConnections = first.maxConnections.map { _ in
            registry.gauge("stoa_db_pool_max_connections", help: "Connections the PostgreSQL pools may open at most.")
        }
        let readers = first.readerConnections.map { _ in
            registry.gauge("stoa_db_sqlite_reader_connections", help: "SQLite reader connections open (one per thread that has read).")
        }
        addSampler {
            let statistics = database.statistics
            inFlight.set(Int64(statistics.operationsInFlight))
            if let value = statistics.maxConnections { maxConnections?.set(Int64(value)) }
            if let value = statistics.readerConnections { readers?.set(Int64(value)) }
        }
    }

    /// Reads the password-hashing pool at every scrape: jobs hashing, jobs waiting, refusals.
    func sample(hashingPool pool: HashingPool) {
        let hashing = registry.gauge("stoa_password_hash_in_flight", help: "Password hashes running now (at most STOA_HASH_THREADS).")
        let queued = registry.gauge("stoa_password_hash_queue_depth", help: "Password hashes waiting for a thread.")
        let refused = registry.counter("stoa_password_hash_refusals_total", help: "Password hashes refused because the queue was full (answered 503).")
        let counted = NIOLockedValueBox(0)
        addSampler {
            let pending = pool.pendingJobs
            hashing.set(Int64(min(pending, pool.threads)))
            queued.set(Int64(max(0, pending - pool.threads)))
            let total = pool.refusedJobs
            let delta = counted.withLockedValue { seen -> Int in
                defer { seen = max(seen, total) }
                return max(0, total - seen)
            }
            if delta > 0 { refused.increment(by: Int64(delta)) }
        }
    }

    /// Reads the open HTTP connections at every scrape.
    func sample(connections counter: ConnectionCounter) {
        let open = registry.gauge("stoa_http_open_connections", help: "HTTP connections open now.")
        let limit = registry.gauge("stoa_http_max_connections", help: "HTTP connections allowed at once (STOA_MAX_CONNECTIONS).")
        addSampler {
            open.set(Int64(counter.current))
            limit.set(Int64(counter.limit))
        }
    }

    /// Reads the open MCP sessions at every scrape.
    func sample(mcpSessions sessions: MCPSessions) {
        let open = registry.gauge("stoa_mcp_sessions_open", help: "MCP sessions open (or starting) now.")
        addSampler { open.set(Int64(await sessions.count)) }
    }
}
