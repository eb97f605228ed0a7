import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The connections one event loop's pool lends to Stoa for good, and the requests waiting for one.
///
/// PostgresNIO's pool arms an idle timer (a task group and a sleep) each time a connection above
/// its minimum goes back to it, and its lease suspends the caller even when a connection is free.
/// Its minimum cannot simply equal its maximum: PostgresNIO 1.33 traps when a request needs a new
/// connection while the pool holds fewer than its minimum, as it does after PostgreSQL ended
/// connections and some reconnects failed. So the pool runs with minimum 0, and `size` keepers
/// (``keep(from:)``) each lease one connection from it and hold it until it closes or the pools
/// are replaced. A request takes a kept connection and gives it back here: when one is free that
/// is a lock and an array, with no timer, task or suspension. The pool still makes every
/// connection, with its back-off, and learns of every close.
final class KeptConnections: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<PostgresConnection, any Error>
    }

    private struct State {
        /// Kept connections no request holds; the most recently given back last.
        var idle: [PostgresConnection] = []
        /// Requests waiting for a connection, first come first served.
        var waiters = CircularBuffer<Waiter>()
        /// The keeper of each kept connection, waiting to give it back to the pool.
        var keepers: [PostgresConnection.ID: CheckedContinuation<Void, Never>] = [:]
        var stopped = false
        var nextWaiter: UInt64 = 0

        /// The last idle connection still open; the keepers of closed ones are returned in
        /// `released` (their connections go back to the pool, which replaces them).
        mutating func popOpen(_ released: inout [CheckedContinuation<Void, Never>]) -> PostgresConnection? {
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
                if let keeper = keepers.removeValue(forKey: connection.id) { released.append(keeper) }
            }
            return nil
        }
    }

    private let state = Mutex(State())
    /// How many connections the keepers hold at most.
    let size: Int

    init(size: Int) {
        self.size = size
    }

    /// Runs `body` with a kept connection, given back whatever `body` does.
    func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let connection = try await take()
        do {
            let result = try await body(connection)
            giveBack(connection)
            return result
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// A kept connection: at once when one is free, else the next one given back or made.
    /// Throws ``PostgresDatabase/unreachable`` once the pools are stopped, and `CancellationError`
    /// when the task is cancelled while it waits.
    func take() async throws -> PostgresConnection {
        var released: [CheckedContinuation<Void, Never>] = []
        // A free connection, else this request's place among the waiters.
        let (free, id): (PostgresConnection?, UInt64) = try state.withLock { state in
            if state.stopped { throw PostgresDatabase.unreachable }
            if let connection = state.popOpen(&released) { return (connection, 0) }
            state.nextWaiter &+= 1
            return (nil, state.nextWaiter)
        }
        for keeper in released { keeper.resume() }
        if let free { return free }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresConnection, any Error>) in
                var released: [CheckedContinuation<Void, Never>] = []
                let outcome: Result<PostgresConnection, any Error>? = state.withLock { state in
                    if state.stopped { return .failure(PostgresDatabase.unreachable) }
                    if let free = state.popOpen(&released) { return .success(free) }   // given back meanwhile
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                for keeper in released { keeper.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives `connection` back: to the first waiting request, else to the free ones; a closed
    /// connection (or any, once stopped) goes back to the pool through its keeper.
    func giveBack(_ connection: PostgresConnection) {
        enum Next { case keeper(CheckedContinuation<Void, Never>?), waiter(Waiter), none }
        let next: Next = state.withLock { state in
            if state.stopped || connection.isClosed { return .keeper(state.keepers.removeValue(forKey: connection.id)) }
            if let waiter = state.waiters.popFirst() { return .waiter(waiter) }
            state.idle.append(connection)
            return .none
        }
        switch next {
        case .keeper(let keeper): keeper?.resume()
        case .waiter(let waiter): waiter.continuation.resume(returning: connection)
        case .none: break
        }
    }

    /// One keeper: leases a connection from `client` and holds it until it closes, then leases
    /// the next, until ``stop()``. When the pool cannot make a connection (PostgreSQL refuses or
    /// is away for longer than the pool waits), the requests waiting here fail with that error
    /// rather than wait for ever; the keeper tries again shortly after.
    func keep(from client: PostgresClient) async {
        while !isStopped {
            do {
                try await client.withConnection { connection in
                    await withCheckedContinuation { (keeper: CheckedContinuation<Void, Never>) in
                        enum Next { case release, waiter(Waiter), none }
                        let next: Next = state.withLock { state in
                            if state.stopped || connection.isClosed { return .release }
                            state.keepers[connection.id] = keeper
                            if let waiter = state.waiters.popFirst() { return .waiter(waiter) }
                            state.idle.append(connection)
                            return .none
                        }
                        switch next {
                        case .release: keeper.resume()
                        case .waiter(let waiter): waiter.continuation.resume(returning: connection)
                        case .none: break
                        }
                    }
                }
            } catch {
                if isStopped { return }
                let waiters: [Waiter] = state.withLock { state in
                    defer { state.waiters.removeAll() }
                    return Array(state.waiters)
                }
                for waiter in waiters { waiter.continuation.resume(throwing: error) }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    /// Stops keeping: waiting requests fail with ``PostgresDatabase/unreachable``, free
    /// connections go back to the pool now and the others as their requests give them back.
    func stop() {
        let (keepers, waiters): ([CheckedContinuation<Void, Never>], [Waiter]) = state.withLock { state in
            state.stopped = true
            let keepers = state.idle.compactMap { state.keepers.removeValue(forKey: $0.id) }
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return (keepers, Array(state.waiters))
        }
        for keeper in keepers { keeper.resume() }
        for waiter in waiters { waiter.continuation.resume(throwing: PostgresDatabase.unreachable) }
    }
}
