import Foundation
import Identity
import JWTKit
import StoaCore
import Testing

/// Stoa signs access tokens with its own small signer (`Identity/JWT/AccessTokenIssuer`), not
/// with jwt-kit, because Better Auth's tokens are specified to the byte: the header is exactly
/// `{"alg","kid"}` (jwt-kit adds `typ`), the claims come in Better Auth's order (iat, the user's
/// fields, sub, exp, iss, aud), and the private keys live encrypted in Stoa's `jwks` table.
/// Verification does use jwt-kit. This suite holds the signer to jwt-kit directly: a plain
/// `JWTKeyCollection` fed only the published JWKS verifies every token Stoa signs, for every
/// algorithm, and refuses one whose payload was changed.
@Suite struct JWTKitInteropTests {
    struct AnyClaims: JWTPayload {
        let sub: SubjectClaim
        let exp: ExpirationClaim
        let iss: IssuerClaim
        let aud: AudienceClaim
        let email: String
        func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
    }

    @Test("jwt-kit verifies what Stoa signs, from the JWKS alone", arguments: SigningAlgorithm.allCases)
    func verifies(_ algorithm: SigningAlgorithm) async throws {
        try await VerifierAttackTests.withFixture(algorithm) { f in
            f.clock.set(Date())
            let token = try await f.issuer.issue(for: VerifierAttackTests.user, sessionID: "s1")
            let jwks = try await f.ring.jwks()
            let keys = JWTKeyCollection()
            try await keys.add(jwksJSON: jwks.serialized)
            let claims = try await keys.verify(token, as: AnyClaims.self)
            #expect(claims.sub.value == VerifierAttackTests.user.id)
            #expect(claims.email == "ada@x.io")
            #expect(claims.iss.value == VerifierAttackTests.issuer)
            #expect(claims.aud.value == [VerifierAttackTests.issuer])

            var parts = token.split(separator: ".").map(String.init)
            let forged = #"{"sub":"someone-else","exp":9999999999,"iss":"x","aud":"x","email":"e@x.io"}"#
            parts[1] = VerifierAttackTests.b64(forged)
            await #expect(throws: (any Error).self) { _ = try await keys.verify(parts.joined(separator: "."), as: AnyClaims.self) }
        }
    }
}
