import Foundation
import Identity
import StoaCore
import Storage
import Testing

/// Behaviour beyond §11: data written by Better Auth, session revocation, CORS, health.
@Suite struct CompatibilityTests {
    /// Contract §6's test vector: `password123` with salt `00112233445566778899aabbccddeeff`.
    static let vectorHash = "00112233445566778899aabbccddeeff:73122e887cfc14f91396cdef78dfe4b9dec28d459037601c4904cedba5a637ab97b39b40c236df5d42881d0109ca8cf0f85e39dbaba2911c190915bd8f30fe85"

    @Test("a user and account written by Better Auth sign in with password123") func betterAuthRows() async throws {
        try await TestApp.run { client, app in
            let now = Date()
            let hash = Self.vectorHash
            try await app.database.execute(
                #"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
                "BAuserBAuserBAuserBAuserBAuser12", "Legacy", "legacy@x.io", true, DatabaseValue.null, now, now)
            try await app.database.execute(
                #"INSERT INTO "account" ("id", "accountId", "providerId", "issuer", "userId", "password", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
                "BAacctBAacctBAacctBAacctBAacct12", "BAuserBAuserBAuserBAuserBAuser12", "credential", "local:credential",
                "BAuserBAuserBAuserBAuserBAuser12", hash, now, now)
            let signed = try await client.signIn(email: "Legacy@X.io")
            #expect(signed.reply.status == 200)
            #expect(signed.userID == "BAuserBAuserBAuserBAuserBAuser12")
            #expect(signed.reply.json?["user"]?["emailVerified"] == .bool(true))
            #expect(try await client.signIn(email: "legacy@x.io", password: "password124").reply.status == 401)
        }
    }

    @Test("revoke-session only touches the caller's sessions; revoke-sessions and revoke-other-sessions") func revocation() async throws {
        try await TestApp.run { client, _ in
            let a1 = try await client.signUp(email: "a@x.io")
            let a2 = try await client.signIn(email: "a@x.io")
            let a3 = try await client.signIn(email: "a@x.io")
            let b = try await client.signUp(email: "b@x.io")
            // Revoking another user's token answers true but does nothing.
            let foreign = try await client.post("/revoke-session", #"{"token":"\#(b.token)"}"#, headers: ["Cookie": a1.cookie])
            #expect(foreign.text == #"{"status":true}"#)
            #expect(try await client.get("/get-session", headers: ["Cookie": b.cookie]).json?["session"] != nil)
            let own = try await client.post("/revoke-session", #"{"token":"\#(a2.token)"}"#, headers: ["Cookie": a1.cookie])
            #expect(own.status == 200)
            #expect(try await client.get("/get-session", headers: ["Cookie": a2.cookie]).text == "null")
            let others = try await client.post("/revoke-other-sessions", headers: ["Cookie": a1.cookie])
            #expect(others.text == #"{"status":true}"#)
            #expect(try await client.get("/get-session", headers: ["Cookie": a3.cookie]).text == "null")
            #expect(try await client.get("/get-session", headers: ["Cookie": a1.cookie]).json?["session"] != nil)
            let all = try await client.post("/revoke-sessions", headers: ["Cookie": a1.cookie])
            #expect(all.text == #"{"status":true}"#)
            #expect(all.setCookies.isEmpty)
            #expect(try await client.get("/get-session", headers: ["Cookie": a1.cookie]).text == "null")
            #expect(try await client.get("/get-session", headers: ["Cookie": b.cookie]).json?["session"] != nil)
            #expect(try await client.post("/revoke-sessions").status == 401)
        }
    }

    @Test("secure mode prefixes every cookie with __Secure- and adds Secure") func secureCookies() async throws {
        try await TestApp.run({ $0.baseURL = "https://auth.example.com"; $0.trustedOrigins = ["http://localhost:3000"] }) { client, _ in
            let signed = try await client.signUp()
            let line = try #require(signed.reply.setCookie(named: "__Secure-better-auth.session_token"))
            #expect(line.hasSuffix("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"))
            let got = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(got.json?["session"] != nil)
        }
    }

    @Test("trusted origins: wildcards, CORS with credentials and exposed headers") func cors() async throws {
        try await TestApp.run({ $0.trustedOrigins = ["https://app.example.com", "https://*.preview.example.com"] }) { client, _ in
            let preflight = try await client.request(.options, "/api/auth/sign-in/email",
                                                     headers: ["Access-Control-Request-Method": "POST"], origin: "https://app.example.com")
            #expect(preflight.status == 204)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(preflight.headers[.accessControlAllowCredentials] == "true")
            let signed = try await client.signUp()
            let ok = try await client.request(.get, "/api/auth/get-session", headers: ["Cookie": signed.cookie], origin: "https://pr-1.preview.example.com")
            #expect(ok.headers[.accessControlAllowOrigin] == "https://pr-1.preview.example.com")
            let exposed = ok.headers[values: .accessControlExposeHeaders].joined(separator: ",")
            #expect(exposed.contains("set-auth-jwt"))
            let health = try await client.request(.get, "/healthz", origin: "https://pr-1.preview.example.com")
            #expect(health.headers[.accessControlExposeHeaders]?.contains("mcp-session-id") == true)
            let wildcardSignOut = try await client.post("/sign-out", headers: ["Cookie": signed.cookie], origin: "https://pr-2.preview.example.com")
            #expect(wildcardSignOut.status == 200)
            let evil = try await client.request(.options, "/api/auth/sign-in/email",
                                                headers: ["Access-Control-Request-Method": "POST"], origin: "https://evil.example.org")
            #expect(evil.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("healthz, readyz and the error page") func health() async throws {
        try await TestApp.run { client, _ in
            let health = try await client.request(.get, "/healthz")
            #expect(health.text == #"{"status":"ok"}"#)
            #expect(try await client.request(.get, "/readyz").status == 200)
            let page = try await client.get("/error?error=<script>alert(1)</script>")
            #expect(page.status == 200)
            #expect(page.text.contains("UNKNOWN"))
            #expect(!page.text.contains("<script>alert"))
            let known = try await client.get("/error?error=INVALID_TOKEN")
            #expect(known.text.contains("INVALID_TOKEN"))
        }
    }

    @Test("once shutdown begins, /readyz answers 503 while /healthz and the API still answer") func draining() async throws {
        try await TestApp.run { client, app in
            app.services.drain.begin()
            let ready = try await client.request(.get, "/readyz")
            #expect(ready.status == 503)
            #expect(ready.text.contains("shutting down"))
            #expect(try await client.request(.get, "/healthz").status == 200)
        }
    }

    @Test("sign-up and sign-in also take form posts") func formPosts() async throws {
        try await TestApp.run { client, _ in
            let up = try await client.request(.post, "/api/auth/sign-up/email", json: "name=Form&email=form%40x.io&password=password123",
                                              contentType: "application/x-www-form-urlencoded")
            #expect(up.status == 200)
            #expect(up.json?["user"]?["email"] == .string("form@x.io"))
            let other = try await client.request(.post, "/api/auth/update-user", json: "name=x", contentType: "application/x-www-form-urlencoded")
            #expect(other.status == 415)
        }
    }

    @Test("the api role serves no auth routes; the auth role serves them") func roles() async throws {
        try await TestApp.run({ $0.role = .api }) { client, _ in
            let reply = try await client.get("/ok")
            #expect(reply.status == 404)
            #expect(try await client.request(.get, "/healthz").status == 200)
        }
        try await TestApp.run({ $0.role = .auth }) { client, _ in
            let reply = try await client.get("/ok")
            #expect(reply.status == 200)
        }
    }

    @Test("an empty callbackURL or redirectTo is no redirect: accepted, as Better Auth skips it") func emptyRedirects() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.signUp()
            let signed = try await client.signIn(extra: #","callbackURL":"""#)
            #expect(signed.reply.status == 200)
            #expect(signed.reply.json?["redirect"] == .bool(false))
            #expect(signed.reply.headers[.location] == nil)
            let reset = try await client.post("/request-password-reset", #"{"email":"a@x.io","redirectTo":""}"#)
            #expect(reset.status == 200)
            let evil = try await client.post("/request-password-reset", #"{"email":"a@x.io","redirectTo":"https://evil.com"}"#)
            #expect(evil.status == 403)
        }
    }
}
