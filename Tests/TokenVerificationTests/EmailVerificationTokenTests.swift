import Crypto
import Foundation
import Identity
import JWTKit
import StoaCore
import Testing

/// Better Auth's email-verification link carries an HS256 JWT under the auth secret,
/// `{email, updateTo?, requestType?, iat, exp}` (`createEmailVerificationToken`, jose's `SignJWT`
/// with header `{"alg":"HS256"}`). These tests build such tokens independently (jwt-kit, and by
/// hand from the contract) and hold Stoa's verifier and signer to them.
@Suite struct EmailVerificationTokenTests {
    static let secret = "better-auth-secret-12345678901234567890"

    struct VerifyClaims: JWTPayload {
        var email: String
        var updateTo: String?
        var requestType: String?
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
    }

    static func keys(_ secret: String = secret) async -> JWTKeyCollection {
        await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    static func b64(_ text: String) -> String { Base64URL.encode(Data(text.utf8)) }

    /// A token as Better Auth's `signJWT` makes it, written out by hand from the contract.
    static func handMade(header: String = #"{"alg":"HS256"}"#, claims: String, secret: String = secret) -> String {
        let input = b64(header) + "." + b64(claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + Base64URL.encode(Data(mac))
    }

    @Test("a token minted the Better Auth way verifies, with its claims") func betterAuthTokenVerifies() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let plain = Self.handMade(claims: #"{"email":"ada@x.io","iat":\#(now),"exp":\#(now + 3600)}"#)
        let claims = try EmailVerificationToken.verify(plain, secrets: [Self.secret], now: now)
        #expect(claims == EmailVerificationToken(email: "ada@x.io", issuedAt: now, expiresAt: now + 3600))

        let change = Self.handMade(claims: #"{"email":"ada@x.io","updateTo":"new@x.io","requestType":"change-email-verification","iat":\#(now),"exp":\#(now + 3600)}"#)
        let parsed = try EmailVerificationToken.verify(change, secrets: [Self.secret], now: now)
        #expect(parsed.updateTo == "new@x.io" && parsed.requestType == "change-email-verification")

        // jwt-kit, as another independent signer (it adds `typ`, which jose ignores too).
        let kit = try await Self.keys().sign(VerifyClaims(email: "kit@x.io", iat: .init(value: Date(timeIntervalSince1970: TimeInterval(now))),
                                                          exp: .init(value: Date(timeIntervalSince1970: TimeInterval(now + 60)))))
        #expect(try EmailVerificationToken.verify(kit, secrets: [Self.secret], now: now).email == "kit@x.io")
        // A rotated secret: the old one still verifies links sent before the rotation.
        #expect(try EmailVerificationToken.verify(plain, secrets: ["newer-secret-000000000000000000000", Self.secret], now: now).email == "ada@x.io")
    }

    @Test("Stoa's token is Better Auth's: header {alg:HS256}, claims in order, decodes with the claims Better Auth expects") func stoaTokenDecodes() async throws {
        let token = EmailVerificationToken(email: "Ada@X.io", updateTo: "New@X.io", requestType: "change-email-verification",
                                           issuedAt: 1_765_000_000, expiresAt: 1_765_003_600).signed(secret: Self.secret)
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        #expect(String(decoding: Base64URL.decode(parts[0]) ?? Data(), as: UTF8.self) == #"{"alg":"HS256"}"#)
        #expect(String(decoding: Base64URL.decode(parts[1]) ?? Data(), as: UTF8.self)
                == #"{"email":"ada@x.io","updateTo":"new@x.io","requestType":"change-email-verification","iat":1765000000,"exp":1765003600}"#)
        // The same bytes as the hand-made Better Auth token for these claims.
        #expect(token == Self.handMade(claims: #"{"email":"ada@x.io","updateTo":"new@x.io","requestType":"change-email-verification","iat":1765000000,"exp":1765003600}"#))
        // jwt-kit verifies it under the secret (its expiry check runs on the wall clock, so a live token).
        let now = Int(Date().timeIntervalSince1970)
        let live = EmailVerificationToken(email: "ada@x.io", issuedAt: now, expiresAt: now + 3600).signed(secret: Self.secret)
        let claims = try await Self.keys().verify(live, as: VerifyClaims.self)
        #expect(claims.email == "ada@x.io" && claims.updateTo == nil && claims.requestType == nil)
        #expect(Int(claims.exp.value.timeIntervalSince1970) - Int(claims.iat.value.timeIntervalSince1970) == 3600)
        await #expect(throws: (any Error).self) { _ = try await Self.keys("another-secret-0000000000000000000").verify(live, as: VerifyClaims.self) }
    }

    @Test("expired, forged, garbled and hostile tokens are refused") func refusals() throws {
        let now = 1_765_000_000
        func refused(_ token: String, _ failure: EmailVerificationToken.Failure = .invalid, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: failure, sourceLocation: sourceLocation) { _ = try EmailVerificationToken.verify(token, secrets: [Self.secret], now: now) }
        }
        refused(Self.handMade(claims: #"{"email":"a@x.io","iat":\#(now - 7200),"exp":\#(now - 3600)}"#), .expired)
        refused(Self.handMade(claims: #"{"email":"a@x.io","iat":\#(now - 3600),"exp":\#(now)}"#), .expired)   // exp == now: jose's rule
        refused(Self.handMade(claims: #"{"email":"a@x.io","exp":\#(now + 60)}"#, secret: "wrong-secret-000000000000000000000"))
        let good = Self.handMade(claims: #"{"email":"a@x.io","iat":\#(now),"exp":\#(now + 60)}"#)
        var parts = good.split(separator: ".").map(String.init)
        parts[1] = Self.b64(#"{"email":"evil@x.io","iat":\#(now),"exp":\#(now + 60)}"#)
        refused(parts.joined(separator: "."))                                                            // payload swapped
        refused(Self.handMade(header: #"{"alg":"none"}"#, claims: #"{"email":"a@x.io","exp":\#(now + 60)}"#))
        refused(Self.b64(#"{"alg":"none"}"#) + "." + Self.b64(#"{"email":"a@x.io","exp":\#(now + 60)}"#) + ".")
        refused(Self.handMade(header: #"{"alg":"HS512"}"#, claims: #"{"email":"a@x.io","exp":\#(now + 60)}"#))
        refused(Self.handMade(header: #"{"alg":"HS256","crit":["x"]}"#, claims: #"{"email":"a@x.io","exp":\#(now + 60)}"#))
        refused(Self.handMade(claims: #"{"email":"a@x.io"}"#))                                            // no exp
        refused(Self.handMade(claims: #"{"email":"not an email","exp":\#(now + 60)}"#))
        refused(Self.handMade(claims: #"{"email":42,"exp":\#(now + 60)}"#))
        refused(Self.handMade(claims: #"{"email":"a@x.io","exp":"soon"}"#))
        refused(Self.handMade(claims: #"{"email":"a@x.io","exp":1e300}"#))
        refused(Self.handMade(claims: #"{"email":"a@x.io","updateTo":"nope","exp":\#(now + 60)}"#))
        refused(Self.handMade(claims: #"{"email":"a@x.io","nbf":\#(now + 60),"exp":\#(now + 120)}"#))
        refused(Self.handMade(claims: #"["a@x.io"]"#))
        for garbage in ["", ".", "..", "a.b.c", "a.b", "a.b.c.d", String(repeating: "A", count: 5000), good + ".", "." + good,
                        good.replacingOccurrences(of: ".", with: ".."), String(good.dropLast(2)), "é.é.é"] {
            refused(garbage)
        }
        let deep = Self.handMade(claims: String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000))
        refused(deep)
    }
}

