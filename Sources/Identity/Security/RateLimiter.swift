import Foundation
import StoaCore
import Storage
import Synchronization

/// Better Auth's rate limiter (contract §8): a counter per `<ip>|<route pattern>` whose window
/// runs from the last allowed request. Sign-in/up, and everything that checks a password or
/// sets one (change-password, delete-user, reset-password), get 3 per 10 s; emails that go out
/// (password reset, verification) 3 per 60 s; everything else the default rule. Keys hold the
/// route pattern (`/reset-password/{token}`), never the raw path, so their number is bounded.
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

    /// The rule for a route pattern relative to `/api/auth` (for example `/sign-in/email`).
    public func rule(for route: String) -> Rule {
        for prefix in ["/sign-in", "/sign-up", "/change-password", "/change-email", "/delete-user", "/reset-password"] where route.hasPrefix(prefix) {
            return Rule(window: 10, max: 3)
        }
        for prefix in ["/request-password-reset", "/send-verification-email", "/forget-password", "/email-otp/send-verification-otp", "/email-otp/reset-password"]
            where route.hasPrefix(prefix) {
            return Rule(window: 60, max: 3)
        }
        return defaultRule
    }

    /// Counts a request from `ip` (nil when no trusted address is known) to `route`, a route
    /// pattern such as `/sign-in/email` or `/reset-password/{token}`.
    public func check(ip: String?, route: String) async throws -> Decision {
        try await check(key: "\(ip ?? "no-trusted-ip")|\(route)", rule: rule(for: route))
    }

    /// Counts a request under `key` with `rule` (per-user limits use keys of their own).
    public func check(key: String, rule: Rule) async throws -> Decision {
        try await storage.hit(key: key, rule: rule, nowMillis: Int64(clock.now().timeIntervalSince1970 * 1000))
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

/// Counters in the `rateLimit` table, shared by every replica on one database. One statement
/// per hit (an upsert that decides and counts at once), so concurrent replicas together allow
/// exactly the rule's maximum. A refused hit still counts, which is how the statement tells the
/// caller: a returned count above the maximum means "refused". Rows idle for longer than the
/// longest window are deleted once a minute.
public final class DatabaseRateLimitStorage: RateLimitStorage {
    let db: any Database
    /// Rows untouched for this long are purged (the longest window any rule uses).
    let retentionMillis: Int64
    private let lastPurge = Mutex<Int64>(0)

    public init(database: any Database, longestWindow: Int = 60) {
        db = database
        retentionMillis = Int64(Swift.max(longestWindow, 60)) * 1000
    }

    static let upsert = #"""
        INSERT INTO "rateLimit" ("id", "key", "count", "lastRequest") VALUES (?, ?, 1, ?)
        ON CONFLICT ("key") DO UPDATE SET
          "count" = CASE WHEN excluded."lastRequest" - "rateLimit"."lastRequest" > ? THEN 1 ELSE "rateLimit"."count" + 1 END,
          "lastRequest" = CASE WHEN excluded."lastRequest" - "rateLimit"."lastRequest" > ? THEN excluded."lastRequest"
                               WHEN "rateLimit"."count" >= ? THEN "rateLimit"."lastRequest"
                               ELSE excluded."lastRequest" END
        RETURNING "count", "lastRequest"
        """#

    public func hit(key: String, rule: RateLimiter.Rule, nowMillis now: Int64) async throws -> RateLimiter.Decision {
        try await purgeIfDue(now: now)
        let windowMillis = Int64(rule.window) * 1000
        guard let row = try await db.first(Self.upsert, RandomID.generate(32), key, now, windowMillis, windowMillis, rule.max) else {
            return .allowed
        }
        let count = Int(try row.int("count"))
        guard count > rule.max else { return .allowed }
        let retry = Int((try row.int("lastRequest") + windowMillis - now + 999) / 1000)
        return .denied(retryAfter: Swift.max(1, retry))
    }

    private func purgeIfDue(now: Int64) async throws {
        let due = lastPurge.withLock { last -> Bool in
            if now - last < 60_000 { return false }
            last = now
            return true
        }
        if due { try await db.execute(#"DELETE FROM "rateLimit" WHERE "lastRequest" < ?"#, now - retentionMillis) }
    }
}

/// The per-user limit on work that costs model time: chat turns and MCP tool calls
/// (`STOA_USER_RATE_LIMIT` a minute). Keyed by the verified user id, so one account cannot
/// spend without bound from many addresses.
public struct UserTurnLimiter: Sendable {
    let limiter: RateLimiter
    let rule: RateLimiter.Rule

    public init(storage: any RateLimitStorage, perMinute: Int, clock: any StoaClock) {
        limiter = RateLimiter(storage: storage, window: 60, max: perMinute, clock: clock)
        rule = RateLimiter.Rule(window: 60, max: perMinute)
    }

    /// Counts one turn or tool call of `userID`.
    public func check(userID: String) async throws -> RateLimiter.Decision {
        try await limiter.check(key: "user:\(userID)|turn", rule: rule)
    }
}
