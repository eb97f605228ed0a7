import Foundation
import Storage
import Testing

/// 50 concurrent sign-ins (the seed deployments' 50-user figure) all succeed, and the server
/// keeps answering cheap requests while the hashing threads are busy.
@Suite struct ConcurrencyTests {
    @Test("50 concurrent sign-ins succeed while /ok keeps answering") func fiftySignIns() async throws {
        try await TestApp.run { client, app in
            for i in 0..<50 {
                try await seed(app, i)
            }
            let okDuringLoad = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<50 {
                    group.addTask { try await client.signIn(email: "user\(i)@x.io").reply.status }
                }
                // While the sign-ins run, /ok must still answer.
                var oks = 0
                for _ in 0..<5 {
                    if try await client.get("/ok").status == 200 { oks += 1 }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses.count == 50)
                #expect(statuses.allSatisfy { $0 == 200 }, "statuses: \(statuses)")
                return oks
            }
            #expect(okDuringLoad == 5)
        }
    }

    /// Inserts a user as Better Auth would have, with the contract's precomputed hash of
    /// `password123` (hashing 50 sign-ups first would only slow the test down).
    func seed(_ app: TestApp, _ i: Int) async throws {
        let now = Date()
        let id = "user\(i)".padding(toLength: 32, withPad: "x", startingAt: 0)
        try await app.database.execute(
            #"INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
            id, "User \(i)", "user\(i)@x.io", false, now, now)
        try await app.database.execute(
            #"INSERT INTO "account" ("id", "accountId", "providerId", "issuer", "userId", "password", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
            "acct" + id.dropFirst(4), id, "credential", "local:credential", id, CompatibilityTests.vectorHash, now, now)
    }

    @Test("a full hashing queue answers 503 with Retry-After") func busy() async throws {
        try await TestApp.run({ $0.hashThreads = 1; $0.hashQueueLimit = 1 }) { client, _ in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let reply = try await client.signIn(email: "nobody\(i)@x.io").reply
                        return (reply.status, reply.headers[.retryAfter])
                    }
                }
                var all: [(Int, String?)] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.contains { $0.0 == 503 && $0.1 == "1" })
            #expect(statuses.allSatisfy { $0.0 == 401 || $0.0 == 503 })
        }
    }
}
