import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StoaCore
@testable import StoaServer
import StoaTestSupport
@testable import Storage
import Synchronization
import Testing

/// The first history pages a server keeps while it is the only Stoa process on its PostgreSQL
/// database (``HistoryCache``): never older than what the user was told was saved, never
/// another user's, bounded in bytes and age, and off as soon as another process shares the
/// database.
@Suite struct HistoryCacheTests {
    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    // MARK: - The cache alone

    @Test("switched off, it keeps nothing and hands out no tickets")
    func offKeepsNothing() {
        let cache = HistoryCache(maxBytes: 1 << 20)
        #expect(cache.ticket() == nil)
        cache.keep(Self.bytes("[1]"), userID: "u", limit: 20, ticket: .init(counter: 0))
        #expect(cache.page(userID: "u", limit: 20) == nil)
    }

    @Test("a kept page is the user's own, for its limit; a write drops the user's pages only")
    func keepsPerUserAndLimit() throws {
        let cache = HistoryCache(maxBytes: 1 << 20)
        cache.setEnabled(true)
        cache.keep(Self.bytes("a20"), userID: "a", limit: 20, ticket: try #require(cache.ticket()))
        cache.keep(Self.bytes("a5"), userID: "a", limit: 5, ticket: try #require(cache.ticket()))
        cache.keep(Self.bytes("b20"), userID: "b", limit: 20, ticket: try #require(cache.ticket()))
        #expect(cache.page(userID: "a", limit: 20) == Self.bytes("a20"))
        #expect(cache.page(userID: "a", limit: 5) == Self.bytes("a5"))
        #expect(cache.page(userID: "a", limit: 6) == nil)
        #expect(cache.page(userID: "b", limit: 20) == Self.bytes("b20"))
        cache.invalidate(userID: "a")
        #expect(cache.page(userID: "a", limit: 20) == nil)
        #expect(cache.page(userID: "a", limit: 5) == nil)
        #expect(cache.page(userID: "b", limit: 20) == Self.bytes("b20"))
        #expect(cache.statistics.pages == 1)
        #expect(cache.statistics.bytes == 3)
    }

    @Test("a read that began before a write to the user's messages is not kept; another user's is")
    func readInFlightAcrossAWrite() throws {
        let cache = HistoryCache(maxBytes: 1 << 20)
        cache.setEnabled(true)
        let ticket = try #require(cache.ticket())
        cache.invalidate(userID: "a")   // the write lands while the read is under way
        cache.keep(Self.bytes("old"), userID: "a", limit: 20, ticket: ticket)
        #expect(cache.page(userID: "a", limit: 20) == nil)
        cache.keep(Self.bytes("b"), userID: "b", limit: 20, ticket: ticket)
        #expect(cache.page(userID: "b", limit: 20) == Self.bytes("b"))
    }

    @Test("switching off drops everything, and a read from before switching back on is not kept")
    func switchingDropsEverything() throws {
        let cache = HistoryCache(maxBytes: 1 << 20)
        cache.setEnabled(true)
        let before = try #require(cache.ticket())
        cache.keep(Self.bytes("x"), userID: "a", limit: 20, ticket: before)
        cache.setEnabled(false)
        #expect(cache.page(userID: "a", limit: 20) == nil)
        cache.setEnabled(true)
        #expect(cache.page(userID: "a", limit: 20) == nil)
        cache.keep(Self.bytes("stale"), userID: "a", limit: 20, ticket: before)
        #expect(cache.page(userID: "a", limit: 20) == nil)
        #expect(cache.statistics.pages == 0)
    }

    @Test("bounded: the oldest pages go first, a page over an eighth of the budget is never kept, and none outlives the age limit")
    func bounded() async throws {
        let cache = HistoryCache(maxBytes: 1000, maxAge: .milliseconds(300))
        cache.setEnabled(true)
        for i in 0..<30 {
            cache.keep(ByteBuffer(repeating: 0x41, count: 100), userID: "u\(i)", limit: 20, ticket: try #require(cache.ticket()))
            #expect(cache.statistics.bytes <= 1000)
        }
        #expect(cache.statistics.pages == 10)
        #expect(cache.page(userID: "u0", limit: 20) == nil)
        #expect(cache.page(userID: "u29", limit: 20) != nil)
        cache.keep(ByteBuffer(repeating: 0x41, count: 126), userID: "big", limit: 20, ticket: try #require(cache.ticket()))
        #expect(cache.page(userID: "big", limit: 20) == nil)
        try await Task.sleep(for: .milliseconds(400))
        #expect(cache.page(userID: "u29", limit: 20) == nil)
    }

    @Test("many users writing keep the bookkeeping bounded, and reads in flight across the reset are not kept")
    func invalidationMemoryIsBounded() throws {
        let cache = HistoryCache(maxBytes: 1 << 20)
        cache.setEnabled(true)
        let early = try #require(cache.ticket())
        for i in 0..<(HistoryCache.invalidationMemory + 5) { cache.invalidate(userID: "w\(i)") }
        cache.keep(Self.bytes("old"), userID: "quiet", limit: 20, ticket: early)
        #expect(cache.page(userID: "quiet", limit: 20) == nil)
        cache.keep(Self.bytes("new"), userID: "quiet", limit: 20, ticket: try #require(cache.ticket()))
        #expect(cache.page(userID: "quiet", limit: 20) == Self.bytes("new"))
    }

    // MARK: - Through the routes, on PostgreSQL

    /// Takes a server's lease on `database` with short timings and waits until it is sole (a
    /// patient heartbeat: under the full parallel suite a 2 s one can time out, and the server
    /// then rightly stops answering from memory for a while).
    static func soleLease(_ services: AppServices, on database: PostgresDatabase) async throws -> SoleProcessLease {
        let lease = try await SoleProcessLease.take(on: database, mode: .candidate, soleCheck: .milliseconds(50),
                                                    retryInterval: .milliseconds(200), settle: .milliseconds(200),
                                                    answerTimeout: .seconds(10), waitLimit: .seconds(30))
        services.follow(lease)
        #expect(try await TestDatabase.eventually { lease.isSole })
        return lease
    }

    static func historyIDs(_ user: APIUser, limit: Int = 20) async throws -> [String] {
        let reply = try await user.call(.get, "/api/user/history?limit=\(limit)")
        #expect(reply.status == 200)
        guard case .array(let items)? = reply.json?["items"] else { return [] }
        return items.compactMap { $0["id"]?.stringValue }
    }

    @Test("alone on PostgreSQL: a repeated read is answered from memory, and a chat turn or a deleted conversation shows at once")
    func soleServer() async throws {
        guard TestDatabase.dialect == .postgres else { return }   // the lease is PostgreSQL's
        try await TestApp.run { client, app in
            let cache = try #require(app.services.historyCache)
            let lease = try await Self.soleLease(app.services, on: try #require(app.database as? PostgresDatabase))
            let alice = try await APIUser.direct(client, app, "alice@x.io")
            let bob = try await APIUser.direct(client, app, "bob@x.io")
            let conversation = try await alice.createConversation()
            #expect(try await Self.historyIDs(alice).isEmpty)
            let turn = try await alice.call(.post, "/api/conversations/\(conversation)/messages", #"{"content":"add buy milk"}"#)
            #expect(turn.status == 201)
            let afterTurn = try await Self.historyIDs(alice)
            #expect(afterTurn.count == 2, "the turn's two messages are not in the history: \(afterTurn)")
            let first = try await alice.call(.get, "/api/user/history?limit=20")
            #expect(cache.statistics.pages == 1)
            let again = try await alice.call(.get, "/api/user/history?limit=20")
            #expect(again.text == first.text)
            #expect(again.headers[.contentType] == "application/json")
            // Bob's page is his own: empty, though Alice's is kept.
            #expect(try await Self.historyIDs(bob).isEmpty)
            // Another turn, then the conversation deleted: each shows on the next read.
            _ = try await alice.call(.post, "/api/conversations/\(conversation)/messages", #"{"content":"what's on my list?"}"#)
            #expect(try await Self.historyIDs(alice).count == 4)
            #expect(try await Self.historyIDs(alice, limit: 3).count == 3)
            #expect(try await alice.call(.delete, "/api/conversations/\(conversation)").status == 204)
            #expect(try await Self.historyIDs(alice).isEmpty)
            #expect(try await Self.historyIDs(alice, limit: 3).isEmpty)
            // A page after a cursor is always read from the database.
            #expect(try await alice.call(.get, "/api/user/history?limit=2&cursor=bad").status == 400)
            await lease.release()
            #expect(!cache.isEnabled)
        }
    }

    @Test("a second replica joining switches the first one's memory off before it serves: a message saved through either shows on both at once")
    func secondReplica() async throws {
        guard TestDatabase.dialect == .postgres else { return }
        try await TestApp.run { client, app in
            let first = try await Self.soleLease(app.services, on: try #require(app.database as? PostgresDatabase))
            let alice = try await APIUser.direct(client, app, "alice@x.io")
            let conversation = try await alice.createConversation()
            _ = try await alice.call(.post, "/api/conversations/\(conversation)/messages", #"{"content":"add buy milk"}"#)
            #expect(try await Self.historyIDs(alice).count == 2)
            #expect(try await Self.historyIDs(alice).count == 2)   // now kept by the first replica
            #expect(try #require(app.services.historyCache).statistics.pages == 1)

            // The second replica: its own pool and lease on the same database, its own routes.
            let secondDatabase = try await TestDatabase.postgresHandle(on: app.database, connections: 2)
            let second = try await secondDatabase.takeLease(.candidate)
            #expect(!first.isSole)
            #expect(try #require(app.services.historyCache).statistics.pages == 0)
            let services = AppServices.make(configuration: TestApp.configuration(), database: secondDatabase, clock: app.clock, logger: TestDatabase.logger)
            services.follow(second)
            try await buildApplication(services: services).test(.router) { inner in
                let viaSecond = APIUser(client: TestApp.Client(inner: inner), id: alice.id, token: alice.token)
                let reply = try await viaSecond.call(.post, "/api/conversations/\(conversation)/messages", #"{"content":"what's on my list?"}"#)
                #expect(reply.status == 201)
                #expect(try await Self.historyIDs(alice).count == 4, "the first replica served a page from before the second one's write")
                _ = try await alice.call(.post, "/api/conversations/\(conversation)/messages", #"{"content":"add call mum"}"#)
                #expect(try await Self.historyIDs(viaSecond).count == 6)
            }
            await services.hashingPool.shutdown()
            await secondDatabase.close()   // lets its share go: the first replica may be sole again
            #expect(try await TestDatabase.eventually { first.isSole })
            #expect(try await Self.historyIDs(alice).count == 6)
            await first.release()
        }
    }
}
