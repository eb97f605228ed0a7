import Foundation
import Identity
import StoaCore
import Testing

@Suite struct SecurityTests {
    @Test("trusted origins and redirects") func origins() {
        let policy = OriginPolicy(baseURL: "http://localhost:3000/api/auth",
                                  trustedOrigins: ["https://app.example.com", "*.preview.example.com", "https://**.corp.example", "myapp://", "https://v?.example.net"])
        #expect(policy.baseOrigin == "http://localhost:3000")
        #expect(policy.isTrusted(url: "http://localhost:3000"))
        #expect(policy.isTrusted(url: "http://localhost:3000/some/page"))
        #expect(!policy.isTrusted(url: "http://localhost:3001"))
        #expect(policy.isTrusted(url: "https://app.example.com"))
        #expect(!policy.isTrusted(url: "https://app.example.com.evil.io"))
        #expect(policy.isTrusted(url: "https://pr-12.preview.example.com"))
        #expect(!policy.isTrusted(url: "https://a.b.preview.example.com"))
        #expect(policy.isTrusted(url: "https://a.b.corp.example"))
        #expect(policy.isTrusted(url: "myapp://callback"))
        #expect(policy.isTrusted(url: "https://v2.example.net"))
        #expect(!policy.isTrusted(url: "https://v22.example.net"))
        #expect(!policy.isTrusted(url: "null"))
        #expect(policy.isSafeRedirect("/dash?tab=1"))
        #expect(!policy.isSafeRedirect("//evil.com"))
        #expect(!policy.isSafeRedirect("/\\evil.com"))
        #expect(!policy.isSafeRedirect("/%2fevil.com"))
        #expect(!policy.isSafeRedirect("https://evil.com"))
        #expect(!policy.isSafeRedirect("javascript:alert(1)"))
    }

    @Test("client address: X-Forwarded-For only from trusted proxies") func clientAddress() {
        let address = ClientAddress(trustedProxies: ["loopback", "10.0.0.5"])
        #expect(address.resolve(peer: "127.0.0.1", forwardedFor: "203.0.113.9") == "203.0.113.9")
        #expect(address.resolve(peer: "198.51.100.2", forwardedFor: "203.0.113.9") == "198.51.100.2")
        #expect(address.resolve(peer: "10.0.0.5", forwardedFor: "1.1.1.1, 203.0.113.9, 10.0.0.5") == "203.0.113.9")
        #expect(address.resolve(peer: nil, forwardedFor: nil) == nil)
        #expect(address.resolve(peer: "127.0.0.1", forwardedFor: "<script>") == "127.0.0.1")
    }

    @Test("rate limiter: rules, window from the last allowed request, retry-after") func rateLimiter() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_000_000))
        let limiter = RateLimiter(storage: MemoryRateLimitStorage(), window: 10, max: 100, clock: clock)
        #expect(limiter.rule(for: "/sign-in/email") == .init(window: 10, max: 3))
        #expect(limiter.rule(for: "/request-password-reset") == .init(window: 60, max: 3))
        #expect(limiter.rule(for: "/get-session") == .init(window: 10, max: 100))
        for _ in 0..<3 { #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .allowed) }
        clock.advance(by: 4)
        #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .denied(retryAfter: 6))
        #expect(try await limiter.check(ip: "1.2.3.5", route: "/sign-in/email") == .allowed)
        #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-up/email") == .allowed)
        clock.advance(by: 7)
        #expect(try await limiter.check(ip: "1.2.3.4", route: "/sign-in/email") == .allowed)
    }

    @Test("email validation follows zod") func emails() {
        #expect(EmailAddress.isValid("a@x.io"))
        #expect(EmailAddress.isValid("first.last+tag@sub.example.co"))
        #expect(!EmailAddress.isValid("nope"))
        #expect(!EmailAddress.isValid(".a@x.io"))
        #expect(!EmailAddress.isValid("a..b@x.io"))
        #expect(!EmailAddress.isValid("a@x"))
        #expect(!EmailAddress.isValid(String(repeating: "a", count: 10_000) + "@x.io"))
    }

    @Test("random ids are 32 alphanumerics") func ids() {
        let ids = (0..<100).map { _ in RandomID.generate() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
    }
}
