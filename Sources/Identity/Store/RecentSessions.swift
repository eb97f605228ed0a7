import Foundation
import Synchronization

/// Sessions read by id in the last few seconds, so a stream of requests with access JWTs from
/// one session does not look its session up once per request (``SQLAuthStore/session(id:)``).
///
/// Every session deletion through the store that owns the cache empties it, so in one process
/// a revoked session's tokens stop working at once. A deletion by another process (another
/// replica, `stoa sessions revoke`) is seen within ``maxAge``. Zero turns the cache off.
typealias RecentSessions = RecentRows<Session>

/// Users read by id in the last few seconds (``SQLAuthStore/user(id:)``, `GET /api/me`), with the
/// same rules as ``RecentSessions``: a change through the owning store empties it at once, another
/// process's change is seen within ``RecentRows/maxAge``.
typealias RecentUsers = RecentRows<User>

/// Rows read by id in the last ``maxAge``: a hit, or a ticket to remember the database's answer
/// unless the cache was emptied meanwhile.
final class RecentRows<Value: Sendable>: Sendable {
    let maxAge: Duration
    /// Beyond this many entries the cache starts over (bounded memory under any load).
    static var capacity: Int { 10_000 }

    private struct Entry {
        let session: Value?
        let readAt: ContinuousClock.Instant
    }
    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every deletion: a read that began before it must not be remembered after it.
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())

    init(maxAge: Duration) { self.maxAge = maxAge }

    var isEnabled: Bool { maxAge > .zero }

    enum Lookup {
        /// A fresh answer: the session, or `nil` for "no such session".
        case hit(Value?)
        /// Read the database, then ``remember(_:id:after:)`` with this ticket.
        case miss(ticket: UInt64)
    }

    func lookup(_ id: String) -> Lookup {
        guard isEnabled else { return .miss(ticket: 0) }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[id] else { return .miss(ticket: state.generation) }
            guard now - entry.readAt < maxAge else {
                state.entries[id] = nil
                return .miss(ticket: state.generation)
            }
            return .hit(entry.session)
        }
    }

    /// Keeps what the database said, unless a deletion happened since the lookup that gave `ticket`.
    func remember(_ session: Value?, id: String, after ticket: UInt64) {
        guard isEnabled else { return }
        let entry = Entry(session: session, readAt: .now)
        state.withLock { state in
            guard state.generation == ticket else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[id] = entry
        }
    }

    /// Forgets everything (called after every session or user deletion).
    func removeAll() {
        guard isEnabled else { return }
        state.withLock { state in
            state.entries.removeAll(keepingCapacity: true)
            state.generation &+= 1
        }
    }
}
