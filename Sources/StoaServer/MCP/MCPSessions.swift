import Foundation
import Logging
import MCP
import ServiceLifecycle
import StoaCore
import Storage

/// The live MCP sessions of `/mcp`: one SDK transport and `Server` per `Mcp-Session-Id`, each
/// bound to the user id that created it.
///
/// - A session is found only by its id *and* its owner's user id: another user's session id
///   looks exactly like an unknown one (the caller answers 404).
/// - At most ``Limits/maxSessions`` sessions live at once (new ones are refused beyond that);
///   a user who opens more than ``Limits/maxSessionsPerUser`` loses their least recently used one.
/// - A session unused for ``Limits/idleTimeout``, or older than ``Limits/maxLifetime``, is
///   closed: lazily on every lookup and reserve, and every ``Limits/sweepInterval`` by ``run()``
///   when the table runs as a service. (The lifetime cap also bounds the SDK transport's replay
///   buffer, which keeps every message of a session.) Clients then get 404 and start a new one.
public actor MCPSessions {
    /// Bounds of the table.
    public struct Limits: Sendable {
        public var maxSessions = 1000
        public var maxSessionsPerUser = 16
        /// Seconds without a request after which a session is closed.
        public var idleTimeout: TimeInterval = 30 * 60
        /// Seconds after which a session is closed however busy it is.
        public var maxLifetime: TimeInterval = 12 * 60 * 60
        public var sweepInterval: Duration = .seconds(60)
        public init() {}
    }

    /// An open session: its owner and the SDK objects that serve it.
    struct Session: Sendable {
        let id: String
        let userID: String
        let transport: StatefulHTTPServerTransport
        let server: Server
        let createdAt: Date
        var lastUsed: Date
    }

    /// The state of one slot: reserved while its server starts, then open. Closed sessions
    /// leave the table.
    enum Entry: Sendable {
        case starting(userID: String, since: Date)
        case open(Session)

        var userID: String {
            switch self {
            case .starting(let userID, _): return userID
            case .open(let session): return session.userID
            }
        }

        var lastUsed: Date {
            switch self {
            case .starting(_, let since): return since
            case .open(let session): return session.lastUsed
            }
        }
    }

    public nonisolated let limits: Limits
    /// The sessions of every replica (the database table); this actor holds this replica's copies.
    nonisolated let registry: MCPSessionRegistry?
    let clock: any StoaClock
    let logger: Logger
    private var entries: [String: Entry] = [:]

    /// - Parameter database: where sessions are registered for all replicas to see (nil: this
    ///   process only).
    public init(limits: Limits = Limits(), database: (any Database)? = nil, clock: any StoaClock, logger: Logger) {
        self.limits = limits
        self.registry = database.map { MCPSessionRegistry(database: $0, limits: limits) }
        self.clock = clock
        self.logger = logger
    }

    /// How many sessions are open or starting.
    public var count: Int { entries.count }

    /// Reserves a slot for a new session of `userID` and returns its fresh id (32 random
    /// alphanumerics), or `nil` when the table is full. Call ``open(_:)`` or ``cancel(id:)`` next.
    func reserve(userID: String) async -> String? {
        await expireStale()
        let mine = entries.filter { $0.value.userID == userID }
        if mine.count >= limits.maxSessionsPerUser,
           let oldest = mine.filter({ if case .open = $0.value { true } else { false } }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            logger.info("MCP session closed: the user opened too many", metadata: ["mcpSession": "\(oldest.key.prefix(8))"])
            await close(remove(id: oldest.key))
        }
        guard entries.count < limits.maxSessions, entries.filter({ $0.value.userID == userID }).count < limits.maxSessionsPerUser else {
            return nil
        }
        var id = RandomID.generate(32)
        while entries[id] != nil { id = RandomID.generate(32) }
        entries[id] = .starting(userID: userID, since: clock.now())
        return id
    }

    /// Reserves the slot of a session another replica opened (found in the registry), to set
    /// up this replica's copy; false when this replica already has or is setting one up.
    func reserve(existing id: String, userID: String) async -> Bool {
        await expireStale()
        guard entries[id] == nil, entries.count < limits.maxSessions else { return false }
        entries[id] = .starting(userID: userID, since: clock.now())
        return true
    }

    /// Marks a reserved slot open. If the slot is gone (closed meanwhile), the session is closed.
    func open(_ session: Session) async {
        guard case .starting(let owner, _)? = entries[session.id], owner == session.userID else {
            await close(session)
            return
        }
        entries[session.id] = .open(session)
    }

    /// Gives up a reserved slot (its server failed to start).
    func cancel(id: String) {
        if case .starting? = entries[id] { entries[id] = nil }
    }

    /// The open session `id` if `userID` owns it, marked as used now; `nil` for an unknown,
    /// expired, starting or foreign id — the caller cannot tell these apart.
    func session(id: String, userID: String) async -> Session? {
        await expireStale()
        guard case .open(var session)? = entries[id], session.userID == userID else { return nil }
        session.lastUsed = clock.now()
        entries[id] = .open(session)
        return session
    }

    /// Removes session `id` (after `DELETE /mcp`, or when it failed) and returns it to be closed.
    @discardableResult
    func remove(id: String) -> Session? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        if case .open(let session) = entry { return session }
        return nil
    }

    /// Closes every session idle for longer than the timeout or older than the lifetime cap.
    public func expireStale() async {
        let now = clock.now()
        let idleCutoff = now.addingTimeInterval(-limits.idleTimeout), ageCutoff = now.addingTimeInterval(-limits.maxLifetime)
        let idle = entries.filter { id, entry in
            if case .open(let session) = entry, session.createdAt < ageCutoff { return true }
            return entry.lastUsed < idleCutoff
        }.map(\.key)
        for id in idle {
            logger.info("MCP session expired", metadata: ["mcpSession": "\(id.prefix(8))"])
            await close(remove(id: id))
        }
    }

    /// Deletes registered sessions past the idle timeout or the lifetime cap (every replica
    /// sweeps; the deletes are idempotent).
    func expireRegistered() async {
        guard let registry else { return }
        do {
            let removed = try await registry.expire(at: clock.now())
            if removed > 0 { logger.info("MCP sessions expired in the registry", metadata: ["count": "\(removed)"]) }
        } catch {
            logger.warning("could not sweep the MCP session registry", metadata: ["error": "\(error)"])
        }
    }

    /// Closes every session (server shutdown).
    public func closeAll() async {
        for id in Array(entries.keys) { await close(remove(id: id)) }
    }

    /// Stops the server and ends the transport's open streams.
    func close(_ session: Session?) async {
        guard let session else { return }
        await session.server.stop()
        await session.transport.disconnect()
    }
}

extension MCPSessions: Service {
    /// Sweeps idle sessions until the application shuts down, then closes all of them.
    public func run() async throws {
        let interval = limits.sweepInterval
        try? await cancelWhenGracefulShutdown { [weak self] in
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await self?.expireStale()
                await self?.expireRegistered()
            }
        }
        await closeAll()
    }
}
