import Foundation
import Identity
import StoaCore
import TokenVerification
import Testing

/// Contract §11 check 19 and the `/api` authentication rules of api.md.
@Suite struct JWTRouteTests {
    static func decode(_ part: Substring) -> JSONValue? {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).flatMap { JSONValue.parse($0) }
    }

    @Test("19. /jwks, set-auth-jwt on get-session, /token needs a session") func check19() async throws {
        try await TestApp.run { client, app in
            let jwks = try await client.get("/jwks")
            #expect(jwks.status == 200)
            #expect(jwks.headers[.cacheControl]?.hasPrefix("public, max-age=") == true)
            guard case .array(let keys)? = jwks.json?["keys"], let key = keys.first else { Issue.record("no keys: \(jwks.text)"); return }
            #expect(key["kty"] == .string("OKP") && key["crv"] == .string("Ed25519") && key["alg"] == .string("EdDSA"))
            #expect(key["kid"]?.stringValue?.count == 32 && key["x"] != nil && key["use"] == nil)

            let signed = try await client.signUp()
            let session = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            let jwt = try #require(session.headers[.init("set-auth-jwt")!])
            #expect(session.headers[.accessControlExposeHeaders]?.contains("set-auth-jwt") == true)
            let verified = try await app.services.tokenVerifier.verify(jwt)
            #expect(verified.subject == signed.userID)
            let parts = jwt.split(separator: ".")
            let claims = try #require(Self.decode(parts[1]))
            #expect(claims["iss"] == .string("http://localhost:3000") && claims["aud"] == .string("http://localhost:3000"))
            guard case .number(let iat)? = claims["iat"], case .number(let exp)? = claims["exp"] else { Issue.record("no iat/exp"); return }
            #expect(exp - iat == 900)
            for field in ["id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "sub", "sid"] {
                #expect(claims[field] != nil, "claim \(field)")
            }
            #expect(Self.decode(parts[0])?["kid"] == key["kid"])

            // A token signed moments ago for the same session and claims is handed out again (no
            // signature per get-session); a change of the claims or the end of the window signs anew.
            app.clock.advance(by: 10)
            let again = try await client.get("/get-session", headers: ["Cookie": signed.cookie]).headers[.init("set-auth-jwt")!]
            #expect(again == jwt)
            #expect(try await client.post("/update-user", #"{"name":"Other"}"#, headers: ["Cookie": signed.cookie]).status == 200)
            let renamed = try #require(try await client.get("/get-session", headers: ["Cookie": signed.cookie]).headers[.init("set-auth-jwt")!])
            #expect(renamed != jwt && Self.decode(renamed.split(separator: ".")[1])?["name"] == .string("Other"))
            app.clock.advance(by: 31)
            let later = try #require(try await client.get("/get-session", headers: ["Cookie": signed.cookie]).headers[.init("set-auth-jwt")!])
            #expect(later != renamed)
            guard case .number(let laterIat)? = Self.decode(later.split(separator: ".")[1])?["iat"] else { Issue.record("no iat"); return }
            #expect(laterIat >= iat + 41)

            let token = try await client.get("/token", headers: ["Authorization": "Bearer \(signed.token)"])
            #expect(token.status == 200)
            #expect(token.json?["token"]?.stringValue?.split(separator: ".").count == 3)
            let anonymous = try await client.get("/token")
            #expect(anonymous.status == 401)
            #expect(anonymous.code == "UNAUTHORIZED")
            // No session → no JWT header.
            #expect(try await client.get("/get-session").headers[.init("set-auth-jwt")!] == nil)
        }
    }

    @Test("/api/me with a JWT, a session token or a cookie; 401s say why") func me() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            let jwt = try #require(try await client.get("/token", headers: ["Cookie": signed.cookie]).json?["token"]?.stringValue)
            let me = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)"])
            #expect(me.status == 200)
            #expect(me.json?["id"] == .string(signed.userID))
            #expect(me.json?["email"] == .string("a@x.io"))
            #expect(me.json?["createdAt"] != nil && me.json?["emailVerified"] == .bool(false))
            #expect(try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(signed.token)"]).status == 200)
            #expect(try await client.request(.get, "/api/me", headers: ["Cookie": signed.cookie]).status == 200)
            // The profile is answered from memory for a few seconds, but a change through this server shows at once.
            #expect(try await client.post("/update-user", #"{"name":"Renamed"}"#, headers: ["Cookie": signed.cookie]).status == 200)
            let renamed = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)"])
            #expect(renamed.json?["name"] == .string("Renamed"))

            let none = try await client.request(.get, "/api/me")
            #expect(none.status == 401)
            #expect(none.code == "UNAUTHORIZED")
            #expect(none.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
            let garbage = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer not-a-token"])
            #expect(garbage.status == 401 && garbage.code == "INVALID_TOKEN")
            let tampered = String(jwt.dropLast(3)) + "AAA"
            let bad = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(tampered)"])
            #expect(bad.status == 401 && bad.code == "INVALID_TOKEN")
            #expect(!bad.text.contains(tampered.suffix(20)))
            let huge = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer " + String(repeating: "a.", count: 50_000) + "a"])
            #expect(huge.status == 401)

            app.clock.advance(by: 900 + 31)
            let expired = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)"])
            #expect(expired.status == 401 && expired.code == "TOKEN_EXPIRED")
        }
    }

    @Test("a JWT of a revoked session is refused in all-in-one mode") func revoked() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp()
            let jwt = try #require(try await client.get("/token", headers: ["Cookie": signed.cookie]).json?["token"]?.stringValue)
            #expect(try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)"]).status == 200)
            _ = try await client.post("/sign-out", headers: ["Cookie": signed.cookie])
            let after = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)"])
            #expect(after.status == 401 && after.code == "INVALID_TOKEN")
        }
    }

    @Test("ES256 and RS256 keys are selectable", arguments: ["ES256", "RS256"]) func algorithms(_ alg: String) async throws {
        try await TestApp.run({ $0.jwt.algorithm = alg }) { client, _ in
            let signed = try await client.signUp()
            let jwt = try #require(try await client.get("/token", headers: ["Cookie": signed.cookie]).json?["token"]?.stringValue)
            #expect(Self.decode(jwt.split(separator: ".")[0])?["alg"] == .string(alg))
            #expect(try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)"]).status == 200)
            let jwks = try await client.get("/jwks")
            let expectedKty = alg == "ES256" ? "EC" : "RSA"
            guard case .array(let keys)? = jwks.json?["keys"] else { Issue.record("no keys"); return }
            #expect(keys.first?["kty"] == .string(expectedKty))
        }
    }

    @Test("a cookie-authenticated write needs a trusted origin") func cookieWrites() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp()
            let cross = try await client.request(.post, "/api/me", json: "{}", headers: ["Cookie": signed.cookie], origin: "http://evil.com")
            #expect(cross.status == 403 || cross.status == 404)
        }
    }
}
