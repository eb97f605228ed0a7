import Crypto
import Foundation
import Identity
import StoaCore
import Storage
import Testing

/// Contract §11: black-box checks of Better Auth behaviour (19, JWT, comes with its issue).
/// Runs against SQLite or PostgreSQL depending on `STOA_TEST_DATABASE`.
@Suite struct ConformanceTests {
    @Test("1. GET /ok") func ok() async throws {
        try await TestApp.run { client, _ in
            let reply = try await client.get("/ok")
            #expect(reply.status == 200)
            #expect(reply.text == #"{"ok":true}"#)
        }
    }

    @Test("2. sign-up answers a token, a lowercased user and a signed cookie") func signUp() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp(email: "A@X.io")
            #expect(signed.reply.status == 200)
            let token = signed.token
            #expect(token.count == 32 && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            let user = try #require(signed.reply.json?["user"])
            #expect(user["email"] == .string("a@x.io"))
            #expect(user["emailVerified"] == .bool(false))
            #expect(ISO8601.date(from: user["createdAt"]?.stringValue ?? "") != nil)
            #expect(user["createdAt"]?.stringValue?.hasSuffix("Z") == true)
            let mac = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: SymmetricKey(data: Data(TestApp.secret.utf8)))
            let sig = Data(mac).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(signed.reply.setCookie(named: "better-auth.session_token")
                    == "better-auth.session_token=\(token).\(sig); Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
        }
    }

    @Test("3. a duplicate sign-up is 422") func duplicate() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.signUp(email: "A@X.io")
            let again = try await client.signUp(email: "a@x.IO")
            #expect(again.reply.status == 422)
            #expect(again.reply.text == #"{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}"#)
        }
    }

    @Test("4. password length and email validation") func validation() async throws {
        try await TestApp.run { client, _ in
            let short = try await client.signUp(password: "1234567")
            #expect(short.reply.status == 400)
            #expect(short.reply.code == "PASSWORD_TOO_SHORT")
            let long = try await client.signUp(password: String(repeating: "x", count: 129))
            #expect(long.reply.status == 400)
            #expect(long.reply.code == "PASSWORD_TOO_LONG")
            let bad = try await client.signUp(email: "nope")
            #expect(bad.reply.status == 400)
            #expect(bad.reply.code == "VALIDATION_ERROR")
            #expect(bad.reply.message == "[body.email] Invalid email address")
        }
    }

    @Test("5. the credential account row is Better Auth's") func accountRow() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            let row = try #require(try await app.database.first(
                #"SELECT "providerId", "accountId", "issuer", "password" FROM "account" WHERE "userId" = ?"#, signed.userID))
            #expect(try row.string("providerId") == "credential")
            #expect(try row.string("accountId") == signed.userID)
            #expect(try row.string("issuer") == "local:credential")
            let hash = try row.string("password")
            #expect(hash.range(of: "^[0-9a-f]{32}:[0-9a-f]{128}$", options: .regularExpression) != nil)
            let salt = String(hash.prefix(32))
            #expect(try ScryptPasswordHasher().hash("password123", saltHex: salt) == hash)
        }
    }

    @Test("6. wrong password and unknown email give the same 401; a malformed email 400") func signInFailures() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.signUp()
            let wrong = try await client.signIn(password: "wrong-password")
            let unknown = try await client.signIn(email: "nobody@x.io")
            #expect(wrong.reply.status == 401)
            #expect(wrong.reply.text == #"{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}"#)
            #expect(unknown.reply.status == 401)
            #expect(unknown.reply.text == wrong.reply.text)
            let bad = try await client.signIn(email: "bad")
            #expect(bad.reply.status == 400)
            #expect(bad.reply.code == "INVALID_EMAIL")
        }
    }

    @Test("7. sign-in answers redirect/url and checks callbackURL") func signInRedirect() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.signUp()
            let plain = try await client.signIn()
            #expect(plain.reply.status == 200)
            #expect(plain.reply.json?["redirect"] == .bool(false))
            #expect(plain.reply.json?["url"] == nil)
            #expect(plain.token.count == 32)
            #expect(plain.reply.json?["user"]?["email"] == .string("a@x.io"))
            let dash = try await client.signIn(extra: #","callbackURL":"/dash""#)
            #expect(dash.reply.status == 200)
            #expect(dash.reply.json?["redirect"] == .bool(true))
            #expect(dash.reply.json?["url"] == .string("/dash"))
            #expect(dash.reply.headers[.location] == "/dash")
            let evil = try await client.signIn(extra: #","callbackURL":"https://evil.com""#)
            #expect(evil.reply.status == 403)
            #expect(evil.reply.code == "INVALID_CALLBACK_URL")
        }
    }

    @Test("8. rememberMe:false makes a browser-session cookie and a one-day session") func dontRemember() async throws {
        try await TestApp.run { client, app in
            _ = try await client.signUp()
            let signed = try await client.signIn(extra: #","rememberMe":false"#)
            let session = try #require(signed.reply.setCookie(named: "better-auth.session_token"))
            #expect(!session.contains("Max-Age"))
            let dont = try #require(signed.reply.setCookie(named: "better-auth.dont_remember"))
            let expectedValue = CookieSigner(secret: TestApp.secret).cookieValue("true")
            #expect(dont.hasPrefix("better-auth.dont_remember=\(expectedValue);"))
            let row = try #require(try await app.database.first(#"SELECT "expiresAt" FROM "session" WHERE "token" = ?"#, signed.token))
            let expires = try row.date("expiresAt")
            #expect(abs(expires.timeIntervalSince(app.clock.now()) - 86_400) < 5)
            // While dont_remember is present, get-session never slides the expiry.
            app.clock.advance(by: 20 * 3600)
            let got = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(got.json?["session"] != nil)
            #expect(got.setCookies.isEmpty)
        }
    }

    @Test("9. get-session: null without a cookie, the session with one, null when tampered") func getSession() async throws {
        try await TestApp.run { client, _ in
            let none = try await client.get("/get-session")
            #expect(none.status == 200)
            #expect(none.text == "null")
            let signed = try await client.signUp()
            let got = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(got.status == 200)
            #expect(got.headers[.cacheControl] == "no-store")
            #expect(got.json?["session"]?["token"] == .string(signed.token))
            #expect(got.json?["session"]?["userId"] == .string(signed.userID))
            #expect(got.json?["user"]?["id"] == .string(signed.userID))
            // Keys come in Better Auth's order.
            let positions = ["\"id\"", "\"expiresAt\"", "\"token\"", "\"createdAt\"", "\"updatedAt\"", "\"ipAddress\"", "\"userAgent\"", "\"userId\""]
                .map { got.text.range(of: $0)?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil } && positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
            let tampered = signed.cookie.replacingOccurrences(of: signed.token, with: String(signed.token.reversed()))
            let bad = try await client.get("/get-session", headers: ["Cookie": tampered])
            #expect(bad.text == "null")
        }
    }

    @Test("10. get-session slides the expiry once updateAge has passed") func slidingRefresh() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            let fresh = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(fresh.setCookies.isEmpty)
            app.clock.advance(by: 86_400 + 60)
            let aged = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(aged.setCookie(named: "better-auth.session_token")?.contains("Max-Age=604800") == true)
            let row = try #require(try await app.database.first(#"SELECT "expiresAt" FROM "session" WHERE "token" = ?"#, signed.token))
            #expect(abs(try row.date("expiresAt").timeIntervalSince(app.clock.now()) - 604_800) < 5)
            // ?disableRefresh=true leaves an aged row alone.
            app.clock.advance(by: 86_400 + 60)
            let disabled = try await client.get("/get-session?disableRefresh=true", headers: ["Cookie": signed.cookie])
            #expect(disabled.json?["session"] != nil)
            #expect(disabled.setCookies.isEmpty)
            // An expired row answers null and clears the cookies.
            app.clock.advance(by: 8 * 86_400)
            let expired = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(expired.text == "null")
            #expect(expired.setCookie(named: "better-auth.session_token")?.contains("Max-Age=0") == true)
        }
    }

    @Test("11. sign-out checks the origin when cookies are sent, then clears cookies") func signOut() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp()
            let noOrigin = try await client.post("/sign-out", headers: ["Cookie": signed.cookie], origin: nil)
            #expect(noOrigin.status == 403)
            #expect(noOrigin.code == "MISSING_OR_NULL_ORIGIN")
            let evil = try await client.post("/sign-out", headers: ["Cookie": signed.cookie], origin: "http://evil.com")
            #expect(evil.status == 403)
            #expect(evil.code == "INVALID_ORIGIN")
            let good = try await client.post("/sign-out", headers: ["Cookie": signed.cookie])
            #expect(good.status == 200)
            #expect(good.text == #"{"success":true}"#)
            #expect(good.setCookie(named: "better-auth.session_token") == "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
            let after = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(after.text == "null")
            // An empty body is accepted too (the official client always POSTs sign-out).
            let empty = try await client.request(.post, "/api/auth/sign-out", contentType: nil)
            #expect(empty.status == 200)
        }
    }

    @Test("12. cross-site navigation sign-in is blocked") func crossSiteNavigation() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.signUp()
            let reply = try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"password123"}"#,
                                              headers: ["Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"], origin: nil)
            #expect(reply.status == 403)
            #expect(reply.code == "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
            // A bare client with no Origin and no cookies passes.
            let bare = try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"password123"}"#, origin: nil)
            #expect(bare.status == 200)
        }
    }

    @Test("13. routing: 415, 404 for wrong method, trailing slash and double slash") func routing() async throws {
        try await TestApp.run { client, _ in
            let text = try await client.request(.post, "/api/auth/sign-in/email", json: #"{"email":"a@x.io","password":"p"}"#, contentType: "text/plain")
            #expect(text.status == 415)
            #expect(text.code == "UNSUPPORTED_MEDIA_TYPE")
            for (method, path) in [("DELETE", "/api/auth/sign-in/email"), ("GET", "/api/auth/get-session/"),
                                   ("GET", "/api/auth//get-session"), ("GET", "/api/auth/nope"), ("GET", "/api/auth"),
                                   ("PUT", "/api/auth/ok"), ("GET", "/api/auth/sign-in/email")] {
                let reply = try await client.request(.init(method)!, path)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.text.isEmpty, "\(method) \(path)")
            }
            let malformed = try await client.request(.post, "/api/auth/sign-in/email", json: "{nope")
            #expect(malformed.status == 400)
            #expect(malformed.text == #"{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}"#)
            let postSession = try await client.request(.post, "/api/auth/get-session", json: "{}")
            #expect(postSession.status == 405)
            #expect(postSession.code == "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED")
        }
    }

    @Test("14. update-user") func updateUser() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp()
            let cookie = ["Cookie": signed.cookie]
            let email = try await client.post("/update-user", #"{"email":"x@y.z"}"#, headers: cookie)
            #expect(email.status == 400)
            #expect(email.code == "EMAIL_CAN_NOT_BE_UPDATED")
            let empty = try await client.post("/update-user", "{}", headers: cookie)
            #expect(empty.status == 400)
            #expect(empty.text == #"{"message":"No fields to update"}"#)
            let verified = try await client.post("/update-user", #"{"emailVerified":true}"#, headers: cookie)
            #expect(verified.status == 400)
            #expect(verified.code == "FIELD_NOT_ALLOWED")
            let ok = try await client.post("/update-user", #"{"name":"B"}"#, headers: cookie)
            #expect(ok.status == 200)
            #expect(ok.text == #"{"status":true}"#)
            #expect(ok.setCookie(named: "better-auth.session_token") != nil)
            let got = try await client.get("/get-session", headers: cookie)
            #expect(got.json?["user"]?["name"] == .string("B"))
            let unauthenticated = try await client.post("/update-user", #"{"name":"C"}"#)
            #expect(unauthenticated.status == 401)
            #expect(unauthenticated.text == #"{"message":"Unauthorized","code":"UNAUTHORIZED"}"#)
        }
    }

    @Test("15. change-password") func changePassword() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp()
            let cookie = ["Cookie": signed.cookie]
            let wrong = try await client.post("/change-password", #"{"currentPassword":"nope-nope","newPassword":"password456"}"#, headers: cookie)
            #expect(wrong.status == 400)
            #expect(wrong.code == "INVALID_PASSWORD")
            let keep = try await client.post("/change-password", #"{"currentPassword":"password123","newPassword":"password456"}"#, headers: cookie)
            #expect(keep.status == 200)
            #expect(keep.json?["token"] == .null)
            let revoke = try await client.post("/change-password",
                                               #"{"currentPassword":"password456","newPassword":"password789","revokeOtherSessions":true}"#, headers: cookie)
            #expect(revoke.status == 200)
            let newToken = try #require(revoke.json?["token"]?.stringValue)
            #expect(newToken != signed.token)
            let old = try await client.get("/get-session", headers: cookie)
            #expect(old.text == "null")
            let new = try await client.get("/get-session", headers: ["Cookie": revoke.cookieHeader])
            #expect(new.json?["session"]?["token"] == .string(newToken))
            #expect(try await client.signIn(password: "password789").reply.status == 200)
        }
    }

    @Test("16. list-sessions needs a fresh session") func listSessions() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            let list = try await client.get("/list-sessions", headers: ["Cookie": signed.cookie])
            #expect(list.status == 200)
            guard case .array(let items)? = list.json else { Issue.record("not an array: \(list.text)"); return }
            #expect(items.contains { $0["token"] == .string(signed.token) })
            app.clock.advance(by: 86_400 + 1)
            let stale = try await client.get("/list-sessions", headers: ["Cookie": signed.cookie])
            #expect(stale.status == 403)
            #expect(stale.code == "SESSION_NOT_FRESH")
            #expect(try await client.get("/list-sessions").status == 401)
        }
    }

    @Test("17. password reset: uniform request, token redirect, single use") func passwordReset() async throws {
        try await TestApp.run { client, app in
            _ = try await client.signUp()
            let unknown = try await client.post("/request-password-reset", #"{"email":"nobody@x.io"}"#)
            let known = try await client.post("/request-password-reset", #"{"email":"a@x.io","redirectTo":"/r"}"#)
            #expect(unknown.status == 200)
            #expect(unknown.text == known.text)
            #expect(known.text == #"{"status":true,"message":"If this email exists in our system, check your email for the reset link"}"#)
            let sent = await app.mailer.sent(atLeast: 1)
            #expect(sent.count == 1)
            let url = try #require(sent.first?.url)
            #expect(url.hasPrefix("http://localhost:3000/api/auth/reset-password/"))
            let token = String(url.dropFirst("http://localhost:3000/api/auth/reset-password/".count).prefix { $0 != "?" })
            #expect(token.count == 24)
            let redirect = try await client.get("/reset-password/\(token)?callbackURL=/r")
            #expect(redirect.status == 302)
            #expect(redirect.headers[.location] == "http://localhost:3000/r?token=\(token)")
            let badRedirect = try await client.get("/reset-password/nope?callbackURL=/r")
            #expect(badRedirect.headers[.location] == "http://localhost:3000/r?error=INVALID_TOKEN")
            let evilRedirect = try await client.post("/request-password-reset", #"{"email":"a@x.io","redirectTo":"https://evil.com"}"#)
            #expect(evilRedirect.status == 403)
            #expect(evilRedirect.code == "INVALID_REDIRECT_URL")
            let reset = try await client.post("/reset-password", #"{"token":"\#(token)","newPassword":"password999"}"#)
            #expect(reset.status == 200)
            #expect(reset.text == #"{"status":true}"#)
            let again = try await client.post("/reset-password", #"{"token":"\#(token)","newPassword":"password000"}"#)
            #expect(again.status == 400)
            #expect(again.code == "INVALID_TOKEN")
            #expect(try await client.signIn(password: "password999").reply.status == 200)
        }
    }

    @Test("18. bearer: set-auth-token, raw and signed bearer values") func bearer() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.signUp()
            let signed = try await client.signIn()
            let header = try #require(signed.reply.headers[.init("set-auth-token")!])
            let cookieValue = try #require(signed.reply.setCookie(named: "better-auth.session_token")?.split(separator: ";").first?
                .dropFirst("better-auth.session_token=".count))
            #expect(header == String(cookieValue).removingPercentEncoding)
            #expect(signed.reply.headers[.accessControlExposeHeaders]?.contains("set-auth-token") == true)
            for value in [signed.token, header, String(cookieValue)] {
                let got = try await client.get("/get-session", headers: ["Authorization": "Bearer \(value)"])
                #expect(got.json?["session"]?["token"] == .string(signed.token), "bearer \(value)")
            }
            let lower = try await client.get("/get-session", headers: ["Authorization": "bearer \(signed.token)"])
            #expect(lower.json?["session"] != nil)
            let forged = try await client.get("/get-session", headers: ["Authorization": "Bearer \(signed.token).AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="])
            #expect(forged.text == "null")
        }
    }

    @Test("20. the 4th sign-in within 10 s from one address is 429") func rateLimit() async throws {
        try await TestApp.run({ $0.rateLimit.enabled = true }) { client, app in
            let xff = ["X-Forwarded-For": "203.0.113.7"]
            for _ in 0..<3 {
                let reply = try await client.post("/sign-in/email", #"{"email":"nobody@x.io","password":"password123"}"#, headers: xff)
                #expect(reply.status == 401)
            }
            let fourth = try await client.post("/sign-in/email", #"{"email":"nobody@x.io","password":"password123"}"#, headers: xff)
            #expect(fourth.status == 429)
            #expect(fourth.text == #"{"message":"Too many requests. Please try again later."}"#)
            let retry = Int(fourth.headers[.init("X-Retry-After")!] ?? "") ?? 0
            #expect((1...10).contains(retry))
            // Another address has its own budget; the window reopens after 10 s.
            let other = try await client.post("/sign-in/email", #"{"email":"nobody@x.io","password":"password123"}"#, headers: ["X-Forwarded-For": "203.0.113.8"])
            #expect(other.status == 401)
            app.clock.advance(by: 11)
            let later = try await client.post("/sign-in/email", #"{"email":"nobody@x.io","password":"password123"}"#, headers: xff)
            #expect(later.status == 401)
        }
    }

    @Test("20b. database rate-limit storage works the same") func rateLimitDatabase() async throws {
        try await TestApp.run({ $0.rateLimit.enabled = true; $0.rateLimit.storage = .database }) { client, _ in
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await client.post("/request-password-reset", #"{"email":"nobody@x.io"}"#,
                                                      headers: ["X-Forwarded-For": "198.51.100.1"]).status)
            }
            #expect(statuses == [200, 200, 200, 429])
        }
    }
}
