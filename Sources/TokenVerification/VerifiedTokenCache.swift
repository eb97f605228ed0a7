import Crypto
import Foundation
import Synchronization

/// Tokens that passed every check, so a client that sends the same access token on each call
/// pays for the signature and the JSON once, not on every request.
///
/// Entries are keyed by the token's SHA-256, never the token itself, so a lookup compares
/// digests (in constant time) and the cache holds no usable credential. A hit still checks
/// `exp` against the clock; the other claims cannot change with time once they passed.
/// ``TokenVerifier`` clears the cache whenever it loads the key set, and a verification that
/// began before a clear is not stored after it (the generation check), so a key that left the
/// JWKS stops working at the same refresh as before.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        let token: VerifiedToken
        /// `exp` plus the leeway, in seconds since 1970: the entry is good while now ≤ this.
        let usableUntil: TimeInterval
    }

    private struct State {
        var entries: [SHA256Digest: Entry] = [:]
        var generation = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    static func key(_ token: String) -> SHA256Digest { SHA256.hash(data: Array(token.utf8)) }

    /// The cached verification of `key`, if it is still within its expiry at `now`.
    func lookup(_ key: SHA256Digest, now: TimeInterval) -> VerifiedToken? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard now <= entry.usableUntil else {
                state.entries[key] = nil
                return nil
            }
            return entry.token
        }
    }

    /// The generation to pass to ``store(_:for:generation:now:)`` for a verification starting now.
    var generation: Int { state.withLock { $0.generation } }

    /// Remembers a verification, unless the cache was cleared since it began.
    func store(_ entry: Entry, for key: SHA256Digest, generation: Int, now: TimeInterval) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity {
                state.entries = state.entries.filter { now <= $0.value.usableUntil }
                if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[key] = entry
        }
    }

    /// Forgets every entry (the key set changed).
    func clear() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation += 1
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
