import Conversations
import Foundation
import NIOCore
import StoaCore
import Synchronization

/// The first pages of `GET /api/user/history` (the busiest read of an API replica), kept as
/// response bytes while this server is the only Stoa process on its PostgreSQL database
/// (``SoleProcessLease``): a repeated read is then answered without a round trip.
///
/// A page is never older than what the user has been told was saved:
/// - every write to a user's messages through this process (a message, a chat turn's reply, a
///   deleted conversation) goes through ``HistoryInvalidatingStore``, which drops the user's
///   pages once the write is done and before it is answered;
/// - a read that began before such a write is not kept (its ticket is older than the write);
/// - while another Stoa process shares the database nothing is kept at all (the lease tells
///   this process before the other may write);
/// - and no page is kept longer than ``maxAge``, which bounds what a writer that takes no lease
///   (a Stoa release older than the lease, an operator's own SQL) can leave stale.
///
/// Bounded by ``maxBytes`` (the oldest stored page goes first).
final class HistoryCache: Sendable {
    /// What a read must show to keep its page: the cache's state when the read began.
    struct Ticket: Sendable { let counter: UInt64 }

    struct Entry {
        let body: ByteBuffer
        let stored: ContinuousClock.Instant
        let serial: UInt64
    }

    struct State {
        var enabled = false
        /// Bumped by every invalidation and every switch on or off.
        var counter: UInt64 = 0
        /// Tickets older than this are refused (set when `invalidated` is reset to bound it).
        var floor: UInt64 = 0
        /// The counter at each user's latest invalidation.
        var invalidated: [String: UInt64] = [:]
        /// user id → limit → page.
        var entries: [String: [Int: Entry]] = [:]
        /// Stored pages, oldest first, for eviction (an item whose serial no longer matches was
        /// replaced or dropped).
        var order = CircularBuffer<(userID: String, limit: Int, serial: UInt64)>()
        var bytes = 0
        var serial: UInt64 = 0
    }

    let maxBytes: Int
    let maxAge: Duration
    /// At most this many users' invalidations are remembered; past it, reads in flight are not kept.
    static let invalidationMemory = 10_000
    private let state = Mutex(State())

    init(maxBytes: Int, maxAge: Duration = .seconds(10)) {
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// Whether pages are kept now (this server is sole).
    var isEnabled: Bool { state.withLock { $0.enabled } }

    /// The kept first page of `limit` items for the user, if any and fresh.
    func page(userID: String, limit: Int) -> ByteBuffer? {
        let now = ContinuousClock.now
        return state.withLock { state -> ByteBuffer? in
            guard state.enabled, let entry = state.entries[userID]?[limit] else { return nil }
            guard now - entry.stored < maxAge else {
                Self.drop(userID, limit, from: &state)
                return nil
            }
            return entry.body
        }
    }

    /// Taken before reading a page from the database; nil when nothing is kept now.
    func ticket() -> Ticket? {
        state.withLock { $0.enabled ? Ticket(counter: $0.counter) : nil }
    }

    /// Keeps `body` as the user's first page of `limit` items, unless anything changed the
    /// user's messages (or switched the cache) since `ticket` was taken.
    func keep(_ body: ByteBuffer, userID: String, limit: Int, ticket: Ticket) {
        guard body.readableBytes <= maxBytes / 8 else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.enabled, ticket.counter >= state.floor, (state.invalidated[userID] ?? 0) <= ticket.counter else { return }
            if let old = state.entries[userID]?[limit] { state.bytes -= old.body.readableBytes }
            state.serial += 1
            state.entries[userID, default: [:]][limit] = Entry(body: body, stored: now, serial: state.serial)
            state.order.append((userID, limit, state.serial))
            state.bytes += body.readableBytes
            while state.bytes > maxBytes, let oldest = state.order.popFirst() {
                guard state.entries[oldest.userID]?[oldest.limit]?.serial == oldest.serial else { continue }
                Self.drop(oldest.userID, oldest.limit, from: &state)
            }
            // Items of pages dropped by invalidation or age stay queued until they come up;
            // bound the queue too.
            if state.order.count > 4 * max(state.entries.count, 1024) { Self.rebuildOrder(&state) }
        }
    }

    /// Drops the user's pages: their messages changed (called once the change is done).
    func invalidate(userID: String) {
        state.withLock { state in
            state.counter += 1
            guard state.enabled else { return }
            if state.invalidated.count >= Self.invalidationMemory {
                state.invalidated = [:]
                state.floor = state.counter
            }
            state.invalidated[userID] = state.counter
            if let pages = state.entries.removeValue(forKey: userID) {
                state.bytes -= pages.values.reduce(0) { $0 + $1.body.readableBytes }
            }
        }
    }

    /// Switches keeping on (this server became sole) or off (another process shares the
    /// database); either way everything kept so far is dropped.
    func setEnabled(_ enabled: Bool) {
        state.withLock { state in
            state.enabled = enabled
            state.counter += 1
            state.floor = state.counter
            state.invalidated = [:]
            state.entries = [:]
            state.order = CircularBuffer()
            state.bytes = 0
        }
    }

    /// Pages kept and their bytes (tests, metrics).
    var statistics: (pages: Int, bytes: Int) {
        state.withLock { state in (state.entries.values.reduce(0) { $0 + $1.count }, state.bytes) }
    }

    /// Drops one kept page (and the user's entry once it has none).
    private static func drop(_ userID: String, _ limit: Int, from state: inout State) {
        guard let entry = state.entries[userID]?.removeValue(forKey: limit) else { return }
        state.bytes -= entry.body.readableBytes
        if state.entries[userID]?.isEmpty == true { state.entries[userID] = nil }
    }

    private static func rebuildOrder(_ state: inout State) {
        let live = state.order.filter { state.entries[$0.userID]?[$0.limit]?.serial == $0.serial }
        state.order = CircularBuffer(live)
    }
}

/// A ``ConversationStore`` that drops a user's kept history pages (``HistoryCache``) after
/// every write to their messages, whether or not the write reported success (it may have
/// committed before the error).
struct HistoryInvalidatingStore: ConversationStore {
    let base: any ConversationStore
    let cache: HistoryCache

    func create(userID: String, id: String?, title: String, at: Date) async throws -> Conversation {
        try await base.create(userID: userID, id: id, title: title, at: at)
    }
    func get(userID: String, id: String) async throws -> Conversation? { try await base.get(userID: userID, id: id) }
    func list(userID: String, archived: Bool, query: String?, page: PageRequest) async throws -> Page<Conversation> {
        try await base.list(userID: userID, archived: archived, query: query, page: page)
    }
    func update(userID: String, id: String, title: String?, pinned: Bool?, archived: Bool?, at: Date) async throws -> Conversation? {
        try await base.update(userID: userID, id: id, title: title, pinned: pinned, archived: archived, at: at)
    }
    func delete(userID: String, id: String) async throws -> Bool {
        defer { cache.invalidate(userID: userID) }
        return try await base.delete(userID: userID, id: id)
    }
    func append(userID: String, conversationID: String, role: MessageRole, content: String,
                sources: JSONValue, toolCalls: JSONValue, truncated: Bool, at: Date) async throws -> Message? {
        defer { cache.invalidate(userID: userID) }
        return try await base.append(userID: userID, conversationID: conversationID, role: role, content: content,
                                     sources: sources, toolCalls: toolCalls, truncated: truncated, at: at)
    }
    func messages(userID: String, conversationID: String, page: PageRequest) async throws -> Page<Message>? {
        try await base.messages(userID: userID, conversationID: conversationID, page: page)
    }
    func allMessages(userID: String, conversationID: String) async throws -> [Message]? {
        try await base.allMessages(userID: userID, conversationID: conversationID)
    }
    func recentMessages(userID: String, conversationID: String, limit: Int) async throws -> [ContextMessage] {
        try await base.recentMessages(userID: userID, conversationID: conversationID, limit: limit)
    }
    func appendUserMessage(userID: String, conversationID: String, content: String, at: Date,
                           contextLimit limit: Int) async throws -> (message: Message, earlier: [ContextMessage])? {
        defer { cache.invalidate(userID: userID) }
        return try await base.appendUserMessage(userID: userID, conversationID: conversationID, content: content, at: at, contextLimit: limit)
    }
    func history(userID: String, page: PageRequest) async throws -> Page<Message> { try await base.history(userID: userID, page: page) }
    func message(userID: String, id: String) async throws -> Message? { try await base.message(userID: userID, id: id) }
    func addFeedback(userID: String, messageID: String, rating: String, comment: String?, at: Date) async throws -> String? {
        try await base.addFeedback(userID: userID, messageID: messageID, rating: rating, comment: comment, at: at)
    }
}
