import NIOCore
import PostgresNIO
import Synchronization

/// A statement on a connection PostgreSQL has closed fails; it never waits forever.
///
/// PostgresNIO writes a statement to the connection's channel without a write promise. Once
/// the channel has closed and NIO has torn its pipeline down, that write is dropped and the
/// statement's answer never comes: the caller waits for ever (PostgreSQL's fast shutdown or
/// `pg_terminate_backend` between two statements of a session, or a connection closed just as
/// the pool lends it). ``answering(_:)`` closes that gap:
/// - on the connection's own event loop, a connection still open is checked and the statement
///   written in one go (nothing else runs on the loop in between, so the close, if it comes,
///   comes after the write and fails the statement as it should);
/// - elsewhere, the statement runs in a task of its own, and a watch that sees the connection
///   closed fails it for the caller (the dropped statement's task is left behind, waiting on a
///   connection that is gone; a few hundred bytes, once per lost connection).
extension PostgresConnection {
    /// How often, off the connection's loop, a waiting statement looks at its connection; one
    /// that is still waiting a whole interval after the close is failed.
    static let closedStatementCheck: TimeAmount = .milliseconds(250)

    /// Runs `statement` (a write to this connection and the wait for its answer), failing with
    /// ``DatabaseError/unavailable`` when the connection is closed rather than waiting forever.
    func answering<T: Sendable>(_ statement: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        if isClosed { throw PostgresDatabase.connectionClosed }
        if eventLoop.inEventLoop { return try await statement(self) }
        return try await withCheckedThrowingContinuation { continuation in
            let outcome = StatementOutcome(continuation)
            Task {
                do { outcome.finish(.success(try await statement(self))) } catch { outcome.finish(.failure(error)) }
            }
            let watch = eventLoop.scheduleRepeatedTask(initialDelay: Self.closedStatementCheck, delay: Self.closedStatementCheck) { _ in
                // The handler fails a statement it has when the close happens; give it one interval.
                if outcome.sawClosed(now: self.isClosed) { outcome.finish(.failure(PostgresDatabase.connectionClosed)) }
            }
            outcome.onFinish { watch.cancel() }   // the watch stops with the first outcome
        }
    }
}

/// The first of a statement's answer and its watch's verdict, handed to the waiting caller once.
final class StatementOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, Error>?
        var closedBefore = false
        var onFinish: (@Sendable () -> Void)?
        var finished: Bool { continuation == nil }
    }
    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<T, Error>) {
        state = Mutex(State(continuation: continuation))
    }

    /// Whether the watch had already seen the connection closed at its previous look; records
    /// what it sees now.
    func sawClosed(now closed: Bool) -> Bool {
        state.withLock { s in defer { s.closedBefore = closed }; return s.closedBefore }
    }

    /// Runs `action` when the outcome is known (at once if it already is).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.finished { return true }
            s.onFinish = action
            return false
        }
        if now { action() }
    }

    func finish(_ result: Result<T, Error>) {
        let (continuation, action) = state.withLock { s -> (CheckedContinuation<T, Error>?, (@Sendable () -> Void)?) in
            guard !s.finished else { return (nil, nil) }
            defer { s.continuation = nil; s.onFinish = nil }
            return (s.continuation, s.onFinish)
        }
        continuation?.resume(with: result)
        action?()
    }
}
