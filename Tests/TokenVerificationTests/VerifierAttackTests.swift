import Crypto
import Foundation
import Identity
import Logging
import StoaCore
import StoaTestSupport
import Storage
import Synchronization
import TokenVerification
import Testing

/// Hostile tokens against the verifier: each is refused (never a crash), and floods of
/// unknown key ids do not turn into floods of JWKS fetches.
@Suite struct VerifierAttackTests {
    static let issuer = "http://localhost:3000"
    static let user = User(id: "user1user1user1user1user1user1us", name: "Ada", email: "ada@x.io", emailVerified: false,
                           image: nil, createdAt: Date(timeIntervalSince1970: 1_767_323_045), updatedAt: Date(timeIntervalSince1970: 1_767_323_045))

    /// A key ring in a fresh database, an issuer over it, and a verifier reading the ring's JWKS.
    struct Fixture {
        let ring: KeyRing
        let issuer: AccessTokenIssuer
        let verifier: TokenVerifier
        let fetches: Counter
        let clock: ManualClock
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func increment() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    static func withFixture(_ algorithm: SigningAlgorithm = .eddsa, secret: String = "a-secret-a-secret-a-secret-a-secret",
                            _ body: @escaping @Sendable (Fixture) async throws -> Void) async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            var settings = KeyRing.Settings()
            settings.algorithm = algorithm
            settings.gracePeriod = 3600
            let ring = KeyRing(store: JWKSStore(database: db), secrets: [secret], settings: settings, clock: clock, logger: TestDatabase.logger)
            let issuer = AccessTokenIssuer(keys: ring, issuer: Self.issuer, audience: Self.issuer, lifetime: 900, clock: clock)
            let fetches = Counter()
            let source = LocalJWKSSource {
                fetches.increment()
                return Data(try await ring.jwks(forceReload: true).serialized.utf8)
            }
            let verifier = TokenVerifier(source: source, settings: .init(issuer: Self.issuer, audience: Self.issuer),
                                         logger: TestDatabase.logger, now: { clock.now() })
            try await body(Fixture(ring: ring, issuer: issuer, verifier: verifier, fetches: fetches, clock: clock))
        }
    }

    static func b64(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    static func b64(_ json: String) -> String { b64(Data(json.utf8)) }
    static func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
    static func decode(_ part: String) -> JSONValue? {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).flatMap { JSONValue.parse($0) }
    }

    @Test("valid tokens verify for every algorithm; header and claims are Better Auth's", arguments: SigningAlgorithm.allCases)
    func valid(_ algorithm: SigningAlgorithm) async throws {
        try await Self.withFixture(algorithm) { f in
            let token = try await f.issuer.issue(for: Self.user, sessionID: "sess1")
            let verified = try await f.verifier.verify(token)
            #expect(verified.subject == Self.user.id)
            #expect(verified.sessionID == "sess1")
            let p = Self.parts(token)
            let header = try #require(Self.decode(p[0]))
            #expect(header == .object([("alg", .string(algorithm.rawValue)), ("kid", header["kid"]!)]))
            #expect(header["typ"] == nil)
            let claims = try #require(Self.decode(p[1]))
            guard case .number(let iat)? = claims["iat"], case .number(let exp)? = claims["exp"] else { Issue.record("no iat/exp"); return }
            #expect(exp - iat == 900)
            #expect(claims["iss"] == .string(Self.issuer))
            #expect(claims["aud"] == .string(Self.issuer))
            #expect(claims["email"] == .string("ada@x.io"))
            #expect(claims["id"] == .string(Self.user.id))
            #expect(claims["createdAt"] == .string("2026-01-02T03:04:05.000Z"))
            // Keys: published JWK has the contract's members and no private parts.
            let jwks = try await f.ring.jwks()
            guard case .array(let keys)? = jwks["keys"], let key = keys.first else { Issue.record("no keys"); return }
            #expect(key["alg"] == .string(algorithm.rawValue))
            #expect(key["kid"] == header["kid"])
            #expect(key["d"] == nil && key["use"] == nil)
            if algorithm == .eddsa {
                #expect(key["kty"] == .string("OKP") && key["crv"] == .string("Ed25519") && key["x"] != nil)
            }
        }
    }

    @Test("attacks are refused") func attacks() async throws {
        try await Self.withFixture { f in
            let good = try await f.issuer.issue(for: Self.user, sessionID: nil)
            let p = Self.parts(good)
            let kid = Self.decode(p[0])?["kid"]?.stringValue ?? ""
            let now = Int(f.clock.now().timeIntervalSince1970)
            func claims(_ extra: String, sub: String? = "user1", iss: String = Self.issuer, aud: String = Self.issuer, exp: Int? = nil, iat: Int? = nil) -> String {
                var fields = [#""iss":"\#(iss)""#, #""aud":"\#(aud)""#, #""exp":\#(exp ?? now + 600)"#, #""iat":\#(iat ?? now)"#]
                if let sub { fields.append(#""sub":"\#(sub)""#) }
                if !extra.isEmpty { fields.append(extra) }
                return Self.b64("{" + fields.joined(separator: ",") + "}")
            }
            let alien = Curve25519.Signing.PrivateKey()
            func signedByAlien(_ payload: String, kid: String) -> String {
                let input = Self.b64(#"{"alg":"EdDSA","kid":"\#(kid)"}"#) + "." + payload
                return input + "." + Self.b64(try! alien.signature(for: Data(input.utf8)))
            }
            let jwks = try await f.ring.jwks()
            let publicX = jwks["keys"].flatMap { if case .array(let k) = $0 { return k.first?["x"]?.stringValue } else { return nil } } ?? ""
            let hmacInput = Self.b64(#"{"alg":"HS256","kid":"\#(kid)"}"#) + "." + claims("")
            let hmac = HMAC<SHA256>.authenticationCode(for: Data(hmacInput.utf8), using: SymmetricKey(data: Data(publicX.utf8)))

            let attacks: [(String, String)] = [
                ("alg none", Self.b64(#"{"alg":"none","kid":"\#(kid)"}"#) + "." + claims("") + "."),
                ("alg none, no kid", Self.b64(#"{"alg":"none"}"#) + "." + claims("") + "."),
                ("HS256 with the public key", hmacInput + "." + Self.b64(Data(hmac))),
                ("tampered payload", p[0] + "." + claims("") + "." + p[2]),
                ("tampered signature", p[0] + "." + p[1] + "." + String(p[2].reversed())),
                ("foreign key, our kid", signedByAlien(claims(""), kid: kid)),
                ("unknown kid", signedByAlien(claims(""), kid: "nope")),
                ("garbage", "garbage"),
                ("garbage base64", "!!!.@@@.###"),
                ("empty parts", ".."),
                ("100 KiB", p[0] + "." + String(repeating: "A", count: 100 * 1024) + "." + p[2]),
            ]
            for (label, token) in attacks {
                await #expect(throws: TokenRejection.self, "\(label)") { _ = try await f.verifier.verify(token) }
            }
        }
    }

    @Test("claims: wrong iss/aud, expiry beyond leeway, future nbf/iat, missing sub") func claims() async throws {
        // Sign with the ring's real key through a second issuer so only the claims differ.
        try await Self.withFixture { f in
            let wrongIss = AccessTokenIssuer(keys: f.ring, issuer: "http://evil", audience: Self.issuer, lifetime: 900, clock: f.clock)
            let wrongAud = AccessTokenIssuer(keys: f.ring, issuer: Self.issuer, audience: "http://other", lifetime: 900, clock: f.clock)
            await #expect(throws: TokenRejection.invalid("wrong issuer")) { _ = try await f.verifier.verify(try await wrongIss.issue(for: Self.user, sessionID: nil)) }
            await #expect(throws: TokenRejection.invalid("wrong audience")) { _ = try await f.verifier.verify(try await wrongAud.issue(for: Self.user, sessionID: nil)) }
            // Expiry: inside the 30 s leeway still fine, beyond it refused as expired.
            let token = try await f.issuer.issue(for: Self.user, sessionID: nil)
            f.clock.advance(by: 900 + 20)
            _ = try await f.verifier.verify(token)
            f.clock.advance(by: 20)
            await #expect(throws: TokenRejection.expired) { _ = try await f.verifier.verify(token) }
            // Issued in the future (clock skew beyond leeway).
            let future = try await f.issuer.issue(for: Self.user, sessionID: nil)
            f.clock.advance(by: -120)
            await #expect(throws: TokenRejection.self) { _ = try await f.verifier.verify(future) }
        }
    }

    @Test("1,000 unknown kids cause at most one JWKS fetch; a down source keeps cached keys") func kidFlood() async throws {
        try await Self.withFixture { f in
            let good = try await f.issuer.issue(for: Self.user, sessionID: nil)
            _ = try await f.verifier.verify(good)
            let before = f.fetches.count
            let p = Self.parts(good)
            for i in 0..<1000 {
                let forged = Self.b64(#"{"alg":"EdDSA","kid":"random\#(i)"}"#) + "." + p[1] + "." + p[2]
                await #expect(throws: TokenRejection.self) { _ = try await f.verifier.verify(forged) }
            }
            #expect(f.fetches.count - before <= 1)
            _ = try await f.verifier.verify(good)
        }
    }

    @Test("a token from another instance with another secret is refused") func otherInstance() async throws {
        let box = Mutex("")
        try await Self.withFixture(secret: "another-secret-another-secret-12345") { f in
            let token = try await f.issuer.issue(for: Self.user, sessionID: nil)
            box.withLock { $0 = token }
        }
        let foreign = box.withLock { $0 }
        try await Self.withFixture { f in
            _ = try await f.issuer.issue(for: Self.user, sessionID: nil)
            await #expect(throws: TokenRejection.self) { _ = try await f.verifier.verify(foreign) }
        }
    }

    @Test("a token verified before its key left the JWKS is refused after the next refresh (the verified-token cache empties)")
    func keyRemovedAfterVerification() async throws {
        try await Self.withFixture { f in
            let publish = Mutex(true)
            let source = LocalJWKSSource {
                publish.withLock { $0 } ? Data(try await f.ring.jwks(forceReload: true).serialized.utf8) : Data(#"{"keys":[]}"#.utf8)
            }
            let verifier = TokenVerifier(source: source, settings: .init(issuer: Self.issuer, audience: Self.issuer),
                                         logger: TestDatabase.logger, now: { f.clock.now() })
            let token = try await f.issuer.issue(for: Self.user, sessionID: "s1")
            #expect(try await verifier.verify(token).sessionID == "s1")
            #expect(try await verifier.verify(token).sessionID == "s1")   // the second time from the cache
            publish.withLock { $0 = false }
            await verifier.prime()
            await #expect(throws: TokenRejection.invalid("unknown signing key")) { _ = try await verifier.verify(token) }
        }
    }

    @Test("rotation: old and new tokens verify; after the grace period the old key leaves the JWKS") func rotation() async throws {
        try await Self.withFixture { f in
            let tokenA = try await f.issuer.issue(for: Self.user, sessionID: nil)
            let kidA = Self.decode(Self.parts(tokenA)[0])?["kid"]?.stringValue
            let newKey = try await f.ring.rotate()
            let tokenB = try await f.issuer.issue(for: Self.user, sessionID: nil)
            let kidB = Self.decode(Self.parts(tokenB)[0])?["kid"]?.stringValue
            #expect(kidB == newKey.kid && kidA != kidB)
            #expect(try await f.verifier.verify(tokenA).subject == Self.user.id)
            #expect(try await f.verifier.verify(tokenB).subject == Self.user.id)
            let published = try await f.ring.publishedKeys().map(\.kid)
            #expect(published.contains(kidA ?? "") && published.contains(kidB ?? ""))
            f.clock.advance(by: 3600 + 1)
            let after = try await f.ring.publishedKeys(forceReload: true).map(\.kid)
            #expect(!after.contains(kidA ?? ""))
            #expect(after.contains(kidB ?? ""))
            #expect(try await f.ring.prune() == [kidA ?? ""])
        }
    }

    @Test("keys encrypted under an old secret stay usable while it is listed") func secretRotation() async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            let store = JWKSStore(database: db)
            let old = KeyRing(store: store, secrets: ["old-secret-old-secret-old-secret-1"], settings: .init(), clock: clock, logger: TestDatabase.logger)
            let kid = try await old.signingKey().kid
            let rotated = KeyRing(store: store, secrets: ["new-secret-new-secret-new-secret-2", "old-secret-old-secret-old-secret-1"],
                                  settings: .init(), clock: clock, logger: TestDatabase.logger)
            #expect(try await rotated.signingKey().kid == kid)
            let forgotten = KeyRing(store: store, secrets: ["new-secret-new-secret-new-secret-2"], settings: .init(), clock: clock, logger: TestDatabase.logger)
            // The old key cannot sign any more, so a new one is minted; the old one is still published.
            #expect(try await forgotten.signingKey().kid != kid)
            #expect(try await forgotten.publishedKeys().map(\.kid).contains(kid))
            let stored = try await db.query(#"SELECT "privateKey" FROM "jwks""#, []).map { try $0.string("privateKey") }
            #expect(stored.allSatisfy { $0.hasPrefix("$stoa$1$") && !$0.contains("PRIVATE KEY") })
        }
    }

    @Test("automatic rotation mints a new key when the interval has passed") func automaticRotation() async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            var settings = KeyRing.Settings()
            settings.rotationInterval = 3600
            let ring = KeyRing(store: JWKSStore(database: db), secrets: ["s-secret-s-secret-s-secret-s-secret"], settings: settings, clock: clock, logger: TestDatabase.logger)
            let first = try await ring.signingKey().kid
            clock.advance(by: 1800)
            #expect(try await ring.signingKey().kid == first)
            clock.advance(by: 1801)
            #expect(try await ring.signingKey().kid != first)
            #expect(try await ring.publishedKeys().map(\.kid).contains(first))
        }
    }
}
