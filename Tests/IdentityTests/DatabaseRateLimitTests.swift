import Foundation
import Identity
import StoaCore
import StoaTestSupport
import Storage
import Testing

/// The `rateLimit` table as replicas share it (run against SQLite and PostgreSQL by scripts/test).
@Suite struct DatabaseRateLimitTests {
    @Test("20 concurrent hits (as from several replicas) allow exactly the limit") func concurrentHits() async throws {
        try await TestDatabase.with { (db: any Database) async throws -> Void in
            let clock = ManualClock(Date(timeIntervalSince1970: 2_000_000))
            // Three limiters over one table stand for three replicas.
            let replicas = (0..<3).map { _ in
                RateLimiter(storage: DatabaseRateLimitStorage(database: db), window: 10, max: 5, clock: clock)
            }
            let decisions = try await withThrowingTaskGroup(of: RateLimiter.Decision.self) { group in
                for i in 0..<20 { group.addTask { try await replicas[i % 3].check(ip: "9.9.9.9", route: "/get-session") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(decisions.filter { $0 == .allowed }.count == 5)
            #expect(decisions.filter { $0 != .allowed }.count == 15)
            clock.advance(by: 11)
            #expect(try await replicas[0].check(ip: "9.9.9.9", route: "/get-session") == .allowed)
        }
    }

    @Test("same rules as the memory limiter: window from the last allowed request, retry-after") func rules() async throws {
        try await TestDatabase.with { (db: any Database) async throws -> Void in
            let clock = ManualClock(Date(timeIntervalSince1970: 1_000_000))
            let limiter = RateLimiter(storage: DatabaseRateLimitStorage(database: db), window: 10, max: 100, clock: clock)
            for _ in 0..<3 { #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .allowed) }
            clock.advance(by: 4)
            #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .denied(retryAfter: 6))
            #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .denied(retryAfter: 6))
            #expect(try await limiter.check(ip: "1.2.3.5", route: "/sign-in/email") == .allowed)
            clock.advance(by: 7)
            #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .allowed)
        }
    }

    @Test("password-checking routes get the strict rule; rows idle past the longest window are purged") func strictRulesAndPurge() async throws {
        try await TestDatabase.with { (db: any Database) async throws -> Void in
            let clock = ManualClock(Date(timeIntervalSince1970: 3_000_000))
            let limiter = RateLimiter(storage: DatabaseRateLimitStorage(database: db), window: 10, max: 100, clock: clock)
            for route in ["/delete-user", "/change-password", "/reset-password", "/reset-password/{token}"] {
                #expect(limiter.rule(for: route) == .init(window: 10, max: 3), "\(route)")
            }
            for i in 0..<50 { _ = try await limiter.check(ip: "10.0.0.\(i)", route: "/get-session") }
            #expect(try await db.query(#"SELECT "key" FROM "rateLimit""#).count == 50)
            clock.advance(by: 3_600)
            _ = try await limiter.check(ip: "10.1.1.1", route: "/get-session")
            #expect(try await db.query(#"SELECT "key" FROM "rateLimit""#).count == 1)
        }
    }
}
