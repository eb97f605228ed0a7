import Foundation
@testable import TokenVerification
import Testing

/// The verified-token cache on its own: expiry on every hit, no store across a clear, a bound on
/// its size, and digests (not tokens) as keys.
@Suite struct VerifiedTokenCacheTests {
    static func entry(_ subject: String, until: TimeInterval) -> VerifiedTokenCache.Entry {
        .init(token: VerifiedToken(subject: subject, sessionID: nil, expiresAt: Date(timeIntervalSince1970: until - 30), email: nil), usableUntil: until)
    }

    @Test("a hit is checked against the clock; an expired entry is dropped") func expiry() {
        let cache = VerifiedTokenCache()
        let key = VerifiedTokenCache.key("a.b.c")
        cache.store(Self.entry("u1", until: 100), for: key, generation: cache.generation, now: 0)
        #expect(cache.lookup(key, now: 100)?.subject == "u1")
        #expect(cache.lookup(key, now: 100.001) == nil)
        #expect(cache.count == 0)
        #expect(cache.lookup(VerifiedTokenCache.key("a.b.d"), now: 0) == nil)
    }

    @Test("a verification that began before a clear is not stored after it") func generation() {
        let cache = VerifiedTokenCache()
        let key = VerifiedTokenCache.key("a.b.c")
        let before = cache.generation
        cache.clear()
        cache.store(Self.entry("u1", until: 100), for: key, generation: before, now: 0)
        #expect(cache.lookup(key, now: 0) == nil)
        cache.store(Self.entry("u1", until: 100), for: key, generation: cache.generation, now: 0)
        #expect(cache.lookup(key, now: 0)?.subject == "u1")
        cache.clear()
        #expect(cache.lookup(key, now: 0) == nil)
    }

    @Test("the cache never holds more than its capacity; expired entries go first") func capacity() {
        let cache = VerifiedTokenCache(capacity: 4)
        for i in 0..<3 { cache.store(Self.entry("old\(i)", until: 10), for: VerifiedTokenCache.key("old\(i)"), generation: cache.generation, now: 0) }
        cache.store(Self.entry("live", until: 1_000), for: VerifiedTokenCache.key("live"), generation: cache.generation, now: 0)
        #expect(cache.count == 4)
        // Full at t=50: the three expired entries make room, the live one stays.
        cache.store(Self.entry("new", until: 1_000), for: VerifiedTokenCache.key("new"), generation: cache.generation, now: 50)
        #expect(cache.count == 2)
        #expect(cache.lookup(VerifiedTokenCache.key("live"), now: 50)?.subject == "live")
        for i in 0..<10 { cache.store(Self.entry("n\(i)", until: 1_000), for: VerifiedTokenCache.key("n\(i)"), generation: cache.generation, now: 50) }
        #expect(cache.count <= 4)
    }

    @Test("keys are SHA-256 digests of the token") func keys() {
        #expect(VerifiedTokenCache.key("x") == VerifiedTokenCache.key("x"))
        #expect(VerifiedTokenCache.key("x") != VerifiedTokenCache.key("y"))
        #expect(Array(VerifiedTokenCache.key("x")).count == 32)
    }
}
