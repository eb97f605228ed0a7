import Foundation
import StoaCore
import Storage
import Synchronization

/// Better Auth's rate limiter (contract §8): a counter per `<ip>|<path>` whose window runs
/// from the last allowed request. Sign-in/up and password changes get 3 per 10 s; emails
/// that go out (password reset, verification) 3 per 60 s; everything else the default rule.
public struct RateLimiter: Sendable {
    public struct Rule: Sendable, Equatable {
        public let window: Int
        public let max: Int
        public init(window: Int, max: Int) { self.window = window; self.max = max }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Denied; retry after this many seconds.
        case denied(retryAfter: Int)
    }

    let storage: any RateLimitStorage
    let defaultRule: Rule
    let clock: any StoaClock

    public init(storage: any RateLimitStorage, window: Int, max: Int, clock: any StoaClock) {
        self.storage = storage
        self.defaultRule = Rule(window: window, max: max)
        self.clock = clock
    }

    /// The rule for a path relative to `/api/auth` (for example `/sign-in/email`).
    public func rule(for path: String) -> Rule {
        for prefix in ["/sign-in", "/sign-up", "/change-password", "/change-email"] where path.hasPrefix(prefix) {
            return Rule(window: 10, max: 3)
        }
        for prefix in ["/request-password-reset", "/send-verification-email", "/forget-password", "/email-otp/send-verification-otp", "/email-otp/reset-password"]
            where path.hasPrefix(prefix) {
            return Rule(window: 60, max: 3)
        }
        return defaultRule
    }

    /// Counts a request from `ip` (nil when no trusted address is known) to `path`.
    public func check(ip: String?, path: String) async throws -> Decision {
        let rule = rule(for: path)
        let key = "\(ip ?? "no-trusted-ip")|\(path)"
        return try await storage.hit(key: key, rule: rule, nowMillis: Int64(clock.now().timeIntervalSince1970 * 1000))
    }
}

/// Where rate-limit counters live.
public protocol RateLimitStorage: Sendable {
    func hit(key: String, rule: RateLimiter.Rule, nowMillis: Int64) async throws -> RateLimiter.Decision
}

extension RateLimitStorage {
    /// The shared decision given the stored record; returns the decision and the record to store.
    static func decide(count: Int, lastRequest: Int64, rule: RateLimiter.Rule, now: Int64) -> (RateLimiter.Decision, count: Int, last: Int64) {
        let windowMillis = Int64(rule.window) * 1000
        if now - lastRequest > windowMillis { return (.allowed, 1, now) }
        if count >= rule.max {
            let retry = Int((lastRequest + windowMillis - now + 999) / 1000)
            return (.denied(retryAfter: max(1, retry)), count, lastRequest)
        }
        return (.allowed, count + 1, now)
    }
}

/// Counters in this process's memory (one replica).
public final class MemoryRateLimitStorage: RateLimitStorage {
    private struct Entry { var count: Int; var last: Int64 }
    private let entries = Mutex<[String: Entry]>([:])
    private let lastSweep = Mutex<Int64>(0)

    public init() {}

    public func hit(key: String, rule: RateLimiter.Rule, nowMillis now: Int64) async throws -> RateLimiter.Decision {
        sweep(now: now)
        return entries.withLock { entries in
            guard let entry = entries[key] else {
                entries[key] = Entry(count: 1, last: now)
                return .allowed
            }
            let (decision, count, last) = Self.decide(count: entry.count, lastRequest: entry.last, rule: rule, now: now)
            entries[key] = Entry(count: count, last: last)
            return decision
        }
    }

    /// Drops counters idle for more than the longest window, once a minute, so memory stays bounded.
    private func sweep(now: Int64) {
        let due = lastSweep.withLock { last -> Bool in
            if now - last < 60_000 { return false }
            last = now
            return true
        }
        guard due else { return }
        entries.withLock { entries in entries = entries.filter { now - $0.value.last <= 120_000 } }
    }
}

/// Counters in the `rateLimit` table, shared by every replica on one database.
public struct DatabaseRateLimitStorage: RateLimitStorage {
    let db: any Database
    public init(database: any Database) { db = database }

    public func hit(key: String, rule: RateLimiter.Rule, nowMillis now: Int64) async throws -> RateLimiter.Decision {
        try await db.transaction { tx in
            guard let row = try await tx.first(#"SELECT "count", "lastRequest" FROM "rateLimit" WHERE "key" = ?"#, key) else {
                try await tx.execute(
                    #"INSERT INTO "rateLimit" ("id", "key", "count", "lastRequest") VALUES (?, ?, 1, ?) ON CONFLICT ("key") DO UPDATE SET "count" = "rateLimit"."count" + 1"#,
                    RandomID.generate(32), key, now)
                return .allowed
            }
            let (decision, count, last) = Self.decide(count: Int(try row.int("count")), lastRequest: try row.int("lastRequest"), rule: rule, now: now)
            if decision == .allowed {
                try await tx.execute(#"UPDATE "rateLimit" SET "count" = ?, "lastRequest" = ? WHERE "key" = ?"#, count, last, key)
            }
            return decision
        }
    }
}
