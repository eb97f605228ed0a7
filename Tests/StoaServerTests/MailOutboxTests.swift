import Foundation
import Identity
import Logging
import StoaCore
import StoaServer
import StoaTestSupport
import Storage
import Synchronization
import Testing

/// The outbox and its worker: mails written with the change they announce, retried with
/// backoff, stopped by a permanent refusal, never sent twice by two workers, claims that expire.
@Suite struct MailOutboxTests {
    static func mail(_ n: Int) -> QueuedMail {
        QueuedMail(kind: .verifyEmail, mail: OutgoingMail(to: "u\(n)@x.io", subject: "Mail \(n)", text: "t \(n)", html: "<p>\(n)</p>"))
    }

    static func worker(_ outbox: MailOutbox, _ transport: any MailTransport, _ clock: any StoaClock) -> MailWorker {
        MailWorker(outbox: outbox, transport: transport, clock: clock, logger: TestDatabase.logger)
    }

    @Test("a rolled-back change leaves no mail: the mail is written in the change's transaction")
    func sameTransaction() async throws {
        try await TestDatabase.with { db in
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await db.transaction { tx in
                    try await MailOutbox.enqueue(Self.mail(1), at: Date(), on: tx)
                    throw Boom()
                }
            }
            let clock = ManualClock()
            let outbox = MailOutbox(database: db, clock: clock)
            #expect(try await outbox.list().isEmpty)
            // Through the store: a sign-up that loses the race for its address queues nothing.
            let store = SQLAuthStore(database: db)
            let now = clock.now()
            func user(_ id: String) -> User { User(id: id, name: "A", email: "a@x.io", emailVerified: false, image: nil, createdAt: now, updatedAt: now) }
            func account(_ id: String) -> Account {
                Account(id: "acc-" + id, accountId: id, providerId: "credential", issuer: "local:credential", userId: id, password: "x", createdAt: now, updatedAt: now)
            }
            try await store.createUser(user("u1"), account: account("u1"), event: nil, mail: Self.mail(1))
            await #expect(throws: AuthStoreError.self) {
                try await store.createUser(user("u2"), account: account("u2"), event: nil, mail: Self.mail(2))
            }
            #expect(try await outbox.list().map(\.mail.to) == ["u1@x.io"])
            // A token row that fails takes its mail with it.
            await #expect(throws: (any Error).self) {
                try await db.transaction { tx in
                    try await MailOutbox.enqueue(Self.mail(4), at: now, on: tx)
                    _ = try await tx.query(#"INSERT INTO "verification" ("id") VALUES (NULL)"#, [])
                }
            }
            #expect(try await outbox.list().map(\.mail.to) == ["u1@x.io"])
        }
    }

    @Test("a transient failure is retried with backoff; a permanent one stops at once; retry makes it due again")
    func retries() async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            let outbox = MailOutbox(database: db, clock: clock)
            let transport = MemoryMailTransport()
            let worker = Self.worker(outbox, transport, clock)
            await transport.failNext([.transient("421 try later"), .transient("connection refused")])
            let id = try await outbox.enqueue(Self.mail(1))
            #expect(await worker.sendDue() == 1)
            var entry = try #require(try await outbox.entry(id: id))
            #expect(entry.status == .pending && entry.attempts == 1 && entry.lastError == "421 try later")
            let firstDelay = entry.nextAttemptAt.timeIntervalSince(clock.now())
            #expect(firstDelay >= 15 && firstDelay <= 30)
            #expect(await worker.sendDue() == 0, "not due yet")
            clock.advance(by: 31)
            #expect(await worker.sendDue() == 1)
            entry = try #require(try await outbox.entry(id: id))
            let secondDelay = entry.nextAttemptAt.timeIntervalSince(clock.now())
            #expect(entry.attempts == 2 && secondDelay >= 30 && secondDelay <= 60)
            clock.advance(by: 61)
            #expect(await worker.sendDue() == 1)
            entry = try #require(try await outbox.entry(id: id))
            #expect(entry.status == .sent && entry.attempts == 3 && entry.sentAt != nil && entry.mail.text.isEmpty && entry.lastError == nil)
            #expect(await transport.delivered.count == 1)

            await transport.failNext([.permanent("550 no such mailbox")])
            let refused = try await outbox.enqueue(Self.mail(2))
            #expect(await worker.sendDue() == 1)
            entry = try #require(try await outbox.entry(id: refused))
            #expect(entry.status == .failed && entry.lastError == "550 no such mailbox")
            clock.advance(by: 86_400)
            #expect(await worker.sendDue() == 0, "a failed mail is not retried")
            #expect(try await outbox.retry(id: id) == nil, "a sent mail cannot be retried")
            #expect(try await outbox.retry(id: refused)?.status == .pending)
            #expect(await worker.sendDue() == 1)
            #expect(try await outbox.entry(id: refused)?.status == .sent)
            #expect(try await outbox.list(pendingOnly: true).isEmpty)
            #expect(try await outbox.list().count == 2)
        }
    }

    @Test("a mail still failing at its deadline is marked failed; backoff is capped and jittered")
    func givesUp() async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            var outbox = MailOutbox(database: db, clock: clock)
            outbox.retryFor = 100
            let transport = MemoryMailTransport()
            let worker = Self.worker(outbox, transport, clock)
            await transport.failNext(Array(repeating: .transient("timeout"), count: 10))
            let id = try await outbox.enqueue(Self.mail(1))
            var rounds = 0
            while try await outbox.entry(id: id)?.status == .pending, rounds < 10 {
                await worker.sendDue()
                clock.advance(by: 60)
                rounds += 1
            }
            let entry = try #require(try await outbox.entry(id: id))
            #expect(entry.status == .failed && entry.lastError == "timeout" && rounds <= 4)
        }
        #expect(MailWorker.backoff(attempt: 1, base: 30, cap: 3600, jitter: 1) == 30)
        #expect(MailWorker.backoff(attempt: 4, base: 30, cap: 3600, jitter: 1) == 240)
        #expect(MailWorker.backoff(attempt: 40, base: 30, cap: 3600, jitter: 1) == 3600)
        #expect(MailWorker.backoff(attempt: 40, base: 30, cap: 3600, jitter: 0.5) == 1800)
        #expect(MailWorker.backoff(attempt: Int.max, base: 30, cap: 3600) <= 3600)
    }

    @Test("a crashed sender's claim expires; its late update changes nothing")
    func claimExpires() async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            let outbox = MailOutbox(database: db, clock: clock)
            let id = try await outbox.enqueue(Self.mail(1))
            let first = try await outbox.claim(limit: 10, lease: 60)
            #expect(first.map(\.id) == [id] && first[0].attempts == 1)
            #expect(try await outbox.claim(limit: 10, lease: 60).isEmpty, "claimed")
            #expect(try await outbox.entry(id: id)?.status == .sending)
            clock.advance(by: 61)
            let second = try await outbox.claim(limit: 10, lease: 60)
            #expect(second.map(\.id) == [id] && second[0].attempts == 2)
            #expect(try await outbox.markSent(id: id, attempt: 1) == false, "the first claim is over")
            #expect(try await outbox.reschedule(id: id, attempt: 1, next: clock.now(), error: "late") == false)
            #expect(try await outbox.markSent(id: id, attempt: 2))
        }
    }

    /// Counts deliveries per recipient, slowly, so two workers overlap.
    actor CountingTransport: MailTransport {
        var counts: [String: Int] = [:]
        func send(_ mail: OutgoingMail) async throws {
            try await Task.sleep(for: .milliseconds(2))
            counts[mail.to, default: 0] += 1
        }
    }

    @Test("two workers on two connections (two replicas) never send the same mail twice")
    func twoWorkers() async throws {
        try await TestDatabase.withTwoHandles { one, two in
            let clock = ManualClock()
            let transport = CountingTransport()
            let a = MailOutbox(database: one, clock: clock), b = MailOutbox(database: two, clock: clock)
            for n in 0..<60 { try await a.enqueue(Self.mail(n)) }
            var workerA = Self.worker(a, transport, clock), workerB = Self.worker(b, transport, clock)
            workerA.batch = 3
            workerB.batch = 3
            let (wa, wb) = (workerA, workerB)
            async let sentA = wa.sendDue()
            async let sentB = wb.sendDue()
            let (na, nb) = await (sentA, sentB)
            #expect(na + nb == 60)
            let counts = await transport.counts
            #expect(counts.count == 60 && counts.values.allSatisfy { $0 == 1 })
            #expect(try await a.list(pendingOnly: true).isEmpty)
        }
    }

    @Test("the worker wakes at once for a mail queued in-process, and polls for others")
    func wakes() async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            let outbox = MailOutbox(database: db, clock: clock)
            let transport = MemoryMailTransport()
            var worker = Self.worker(outbox, transport, clock)
            worker.pollInterval = .seconds(60)
            let running = Task { try await worker.run() }
            try await Task.sleep(for: .milliseconds(50))
            let started = ContinuousClock.now
            try await outbox.enqueue(Self.mail(1))
            #expect(await transport.delivered(atLeast: 1, timeout: .seconds(20)).count == 1)
            #expect(ContinuousClock.now - started < .seconds(20), "woken, not polled (the poll is every 60 s)")
            // Queued by another process (a plain insert, no wake): found at the next poll only.
            // (First let the worker settle: a wake that came while it was busy makes one extra round.)
            try await Task.sleep(for: .milliseconds(150))
            try await MailOutbox.enqueue(Self.mail(2), at: clock.now(), on: db)
            try await Task.sleep(for: .milliseconds(200))
            let early = await transport.delivered.map(\.to)
            #expect(early == ["u1@x.io"])
            outbox.waker.wake()
            #expect(await transport.delivered(atLeast: 2, timeout: .seconds(20)).count == 2)
            running.cancel()
            _ = try? await running.value
        }
    }

    @Test("the log transport logs the text (its purpose); SMTP-like failures never log the text")
    func logging() async throws {
        try await TestDatabase.with { db in
            let lines = RequestLogTests.Lines()
            let logger = lines.logger()
            let clock = ManualClock()
            let outbox = MailOutbox(database: db, clock: clock)
            let transport = MemoryMailTransport()
            await transport.failNext([.transient("421"), .permanent("550 refused")])
            var worker = MailWorker(outbox: outbox, transport: transport, clock: clock, logger: logger)
            try await outbox.enqueue(QueuedMail(kind: .resetPassword, mail: OutgoingMail(to: "a@x.io", subject: "s", text: "LINK-SECRET-1", html: "LINK-SECRET-2")))
            await worker.sendDue()
            clock.advance(by: 60)
            await worker.sendDue()
            #expect(!lines.all.joined(separator: "\n").contains("LINK-SECRET") && lines.all.joined(separator: "\n").contains("550 refused"))
            let logTransport = LogMailTransport(logger: logger)
            worker = MailWorker(outbox: outbox, transport: logTransport, clock: clock, logger: logger)
            worker.pollInterval = .milliseconds(20)
            try await outbox.enqueue(QueuedMail(kind: .resetPassword, mail: OutgoingMail(to: "a@x.io", subject: "s", text: "LINK-3", html: "h")))
            let running = Task { [worker] in try await worker.run() }
            for _ in 0..<100 where !lines.all.joined(separator: "\n").contains("LINK-3") { try await Task.sleep(for: .milliseconds(10)) }
            running.cancel()
            _ = try? await running.value
            #expect(lines.all.joined(separator: "\n").contains("LINK-3"))
        }
    }
}

