import Foundation
import HTTPTypes
import Identity
import StoaCore
import StoaServer
import StoaTestSupport
import Storage
import Testing

/// Better Auth's email verification and change of email over HTTP, with mails delivered by the
/// outbox worker to a memory transport (contract §1 rows `/verify-email`,
/// `/send-verification-email`, `/change-email`; `email-verification.ts`, `update-user.ts`).
@Suite struct MailFlowTests {
    static let verifyPrefix = "http://localhost:3000/api/auth/verify-email?token="

    /// The token of a verification link.
    static func token(of url: String) -> String {
        String(url.dropFirst(verifyPrefix.count).prefix { $0 != "&" })
    }

    /// The path and query of a link, for the in-process client.
    static func path(of url: String) -> String { String(url.dropFirst("http://localhost:3000".count)) }

    static func types(_ app: TestApp) async throws -> [String] {
        try await AuthEventStore(database: app.database).search(limit: 1000).reversed().map(\.type.rawValue)
    }

    @Test("send-verification-email with a session → a mail whose link verifies; following it again is harmless")
    func verifyWithSession() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp(name: "Ada <b>")
            #expect(await app.mailer.sentNow().isEmpty, "no mail on sign-up unless asked for")
            let reply = try await client.post("/send-verification-email", #"{"email":"A@X.io","callbackURL":"/verify-email"}"#,
                                              headers: ["Cookie": signed.cookie])
            #expect(reply.status == 200)
            #expect(reply.text == #"{"status":true}"#)
            let sent = await app.mailer.sent(atLeast: 1)
            let mail = try #require(sent.first)
            #expect(mail.email == "a@x.io" && mail.mail.toName == "Ada <b>")
            #expect(mail.mail.subject == "Verify your email for Stoa")
            #expect(mail.url.hasPrefix(Self.verifyPrefix) && mail.url.hasSuffix("&callbackURL=%2Fverify-email"))
            #expect(mail.mail.html.contains("Hello Ada &lt;b&gt;,") && !mail.mail.html.contains("<b>"))
            #expect(mail.mail.html.contains("href=\"\(mail.url.replacingOccurrences(of: "&", with: "&amp;"))\""))
            #expect(!mail.mail.text.contains("password123") && !mail.mail.html.contains(signed.token))

            let claims = try EmailVerificationToken.verify(Self.token(of: mail.url), secrets: [TestApp.secret],
                                                           now: Int(app.clock.now().timeIntervalSince1970))
            #expect(claims.email == "a@x.io" && claims.expiresAt - claims.issuedAt == 3600 && claims.updateTo == nil)

            let verified = try await client.request(.get, Self.path(of: mail.url).replacingOccurrences(of: "&callbackURL=%2Fverify-email", with: ""))
            #expect(verified.status == 200)
            #expect(verified.text == #"{"status":true,"user":null}"#)
            #expect(verified.setCookies.isEmpty, "no auto sign-in by default")
            let session = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(session.json?["user"]?["emailVerified"] == .bool(true))
            let again = try await client.request(.get, Self.path(of: mail.url))
            #expect(again.status == 302 && again.headers[.location] == "/verify-email")

            let already = try await client.post("/send-verification-email", #"{"email":"a@x.io"}"#, headers: ["Cookie": signed.cookie])
            #expect(already.status == 400 && already.code == "EMAIL_ALREADY_VERIFIED")
            let types = try await Self.types(app)
            #expect(types.contains("email.verification_sent") && types.contains("email.verified"))
        }
    }

    @Test("with a session: another address is EMAIL_MISMATCH; hostile bodies are 400")
    func sendVerificationRefusals() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            let headers = ["Cookie": signed.cookie]
            let mismatch = try await client.post("/send-verification-email", #"{"email":"b@x.io"}"#, headers: headers)
            #expect(mismatch.status == 400 && mismatch.code == "EMAIL_MISMATCH" && mismatch.message == "Email mismatch")
            for body in [#"{}"#, #"{"email":42}"#, #"{"email":"nope"}"#, #"{"email":{"$ne":1}}"#, #"{"email":"a@x.io","callbackURL":7}"#,
                         #"{"email":"\#(String(repeating: "a", count: 400))@x.io"}"#, #"[1,2]"#] {
                let reply = try await client.post("/send-verification-email", body, headers: headers)
                #expect(reply.status == 400, "\(body.prefix(40)) → \(reply.status) \(reply.text.prefix(80))")
            }
            let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
            #expect(try await client.post("/send-verification-email", #"{"email":\#(deep)}"#).status == 400)
            let evil = try await client.post("/send-verification-email", #"{"email":"a@x.io","callbackURL":"https://evil.com"}"#, headers: headers)
            #expect(evil.status == 403 && evil.code == "INVALID_CALLBACK_URL")
            try await Task.sleep(for: .milliseconds(50))
            #expect(await app.mailer.sentNow().isEmpty)
        }
    }

    @Test("without a session: unknown, verified and unverified addresses answer alike, after ≥ 500 ms; only the last gets a mail")
    func sendVerificationAntiEnumeration() async throws {
        try await TestApp.run { client, app in
            _ = try await client.signUp()
            var replies: [String] = []
            for email in ["nobody@x.io", "a@x.io"] {
                let started = ContinuousClock.now
                let reply = try await client.post("/send-verification-email", #"{"email":"\#(email)"}"#)
                #expect(ContinuousClock.now - started >= .milliseconds(500))
                #expect(reply.status == 200)
                replies.append(reply.text)
            }
            #expect(replies[0] == replies[1])
            let sent = await app.mailer.sent(atLeast: 1)
            #expect(sent.map(\.email) == ["a@x.io"])
        }
    }

    @Test("per-address throttle: at most 3 verification mails in 10 minutes, then more after the window")
    func sendVerificationThrottle() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            for _ in 0..<5 {
                #expect(try await client.post("/send-verification-email", #"{"email":"a@x.io"}"#, headers: ["Cookie": signed.cookie]).status == 200)
            }
            #expect(await app.mailer.sent(atLeast: 3).count == 3)
            try await Task.sleep(for: .milliseconds(100))
            #expect(await app.mailer.sentNow().count == 3)
            app.clock.advance(by: 601)
            #expect(try await client.post("/send-verification-email", #"{"email":"a@x.io"}"#, headers: ["Cookie": signed.cookie]).status == 200)
            #expect(await app.mailer.sent(atLeast: 4).count == 4)
        }
    }

    @Test("STOA_SEND_VERIFICATION_ON_SIGNUP: the mail is queued with the user and carries the sign-up's callbackURL")
    func sendOnSignUp() async throws {
        try await TestApp.run({ $0.email.sendOnSignUp = true }) { client, app in
            let signed = try await client.signUp(extra: #","callbackURL":"/welcome""#)
            #expect(signed.reply.status == 200 && !signed.token.isEmpty, "still signed in: verification is not required")
            let mail = try #require(await app.mailer.sent(atLeast: 1).first)
            #expect(mail.email == "a@x.io" && mail.url.hasSuffix("&callbackURL=%2Fwelcome"))
            let rows = try await app.database.query(#"SELECT "kind", "status" FROM "mail_outbox""#)
            let kind = try rows.first?.string("kind")
            #expect(rows.count == 1 && kind == "verify-email")
        }
    }

    @Test("required verification: sign-up gives no session, duplicates are hidden, sign-in is 403 with a fresh (throttled) mail until the link is followed")
    func requiredVerification() async throws {
        try await TestApp.run({ $0.email.requireVerification = true }) { client, app in
            let signed = try await client.signUp()
            #expect(signed.reply.status == 200)
            #expect(signed.reply.json?["token"] == .null)
            #expect(signed.reply.setCookies.isEmpty && signed.reply.headers[HTTPField.Name("set-auth-token")!] == nil)
            let first = try #require(await app.mailer.sent(atLeast: 1).first)
            // A second sign-up with the same address: 200, a made-up user, no mail.
            let duplicate = try await client.signUp(password: "other-password")
            #expect(duplicate.reply.status == 200 && duplicate.reply.json?["token"] == .null)
            #expect(duplicate.userID != signed.userID && duplicate.reply.json?["user"]?["email"] == .string("a@x.io"))

            let refused = try await client.signIn()
            #expect(refused.reply.status == 403 && refused.reply.code == "EMAIL_NOT_VERIFIED" && refused.reply.message == "Email not verified")
            #expect(refused.reply.setCookies.isEmpty)
            // The sign-up's mail went out a moment ago: no second one yet.
            try await Task.sleep(for: .milliseconds(100))
            #expect(await app.mailer.sentNow().count == 1)
            app.clock.advance(by: 61)
            #expect(try await client.signIn().reply.status == 403)
            #expect(await app.mailer.sent(atLeast: 2).count == 2)
            // A retrying client does not flood the inbox.
            for _ in 0..<3 { #expect(try await client.signIn().reply.status == 403) }
            // A wrong password is still the uniform 401, and sends nothing.
            #expect(try await client.signIn(password: "wrong-password").reply.status == 401)
            try await Task.sleep(for: .milliseconds(100))
            #expect(await app.mailer.sentNow().count == 2)

            let followed = try await client.request(.get, Self.path(of: first.url))
            #expect(followed.status == 302 && followed.headers[.location] == "/")
            let ok = try await client.signIn()
            #expect(ok.reply.status == 200 && ok.reply.json?["user"]?["emailVerified"] == .bool(true))
            let events = try await AuthEventStore(database: app.database).search(limit: 100)
            #expect(events.contains { $0.type == .signInFailed && $0.detail?["reason"] == .string("email_not_verified") })
        }
    }

    @Test("auto sign-in after verification sets a session cookie that works")
    func autoSignIn() async throws {
        try await TestApp.run({ $0.email.requireVerification = true; $0.email.autoSignInAfterVerification = true }) { client, app in
            _ = try await client.signUp()
            let mail = try #require(await app.mailer.sent(atLeast: 1).first)
            let followed = try await client.request(.get, Self.path(of: mail.url))
            #expect(followed.status == 302)
            #expect(followed.setCookie(named: "better-auth.session_token") != nil)
            let session = try await client.get("/get-session", headers: ["Cookie": followed.cookieHeader])
            #expect(session.json?["user"]?["email"] == .string("a@x.io") && session.json?["user"]?["emailVerified"] == .bool(true))
        }
    }

    @Test("verify-email refuses expired, forged, garbled and hostile links: 401 with the code, or a redirect with ?error=")
    func verifyRefusals() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            _ = try await client.post("/send-verification-email", #"{"email":"a@x.io"}"#, headers: ["Cookie": signed.cookie])
            let mail = try #require(await app.mailer.sent(atLeast: 1).first)
            let token = Self.token(of: mail.url)

            let now = Int(app.clock.now().timeIntervalSince1970)
            let forged = EmailVerificationToken(email: "a@x.io", issuedAt: now, expiresAt: now + 60).signed(secret: "not-the-secret-00000000000000000000")
            let cases: [(String, String)] = [
                ("/verify-email?token=\(forged)", "INVALID_TOKEN"),
                ("/verify-email?token=garbage", "INVALID_TOKEN"),
                ("/verify-email?token=", "INVALID_TOKEN"),
                ("/verify-email?token=\(String(repeating: "a", count: 5000))", "INVALID_TOKEN"),
                ("/verify-email?token=\(token.replacingOccurrences(of: ".", with: "%00."))", "INVALID_TOKEN"),
            ]
            for (path, code) in cases {
                let reply = try await client.get(path)
                #expect(reply.status == 401 && reply.code == code, "\(path.prefix(60)) → \(reply.status) \(reply.text.prefix(80))")
                let redirected = try await client.get(path + "&callbackURL=/verify-email")
                #expect(redirected.status == 302 && redirected.headers[.location] == "/verify-email?error=\(code)")
            }
            let withQuery = try await client.get("/verify-email?token=x&callbackURL=%2Fverify-email%3Fa%3D1")
            #expect(withQuery.headers[.location] == "/verify-email?a=1&error=INVALID_TOKEN")
            #expect(try await client.get("/verify-email").status == 400)
            let evil = try await client.get("/verify-email?token=\(token)&callbackURL=https://evil.com/x")
            #expect(evil.status == 403 && evil.code == "INVALID_CALLBACK_URL")
            let slashes = try await client.get("/verify-email?token=\(token)&callbackURL=//evil.com")
            #expect(slashes.status == 403)

            app.clock.advance(by: 3601)
            let expired = try await client.get("/verify-email?token=\(token)")
            #expect(expired.status == 401 && expired.code == "TOKEN_EXPIRED" && expired.message == "Token expired")
            app.clock.advance(by: -3601)
            // A valid link for an address with no account (deleted since).
            let ghost = EmailVerificationToken(email: "ghost@x.io", issuedAt: now, expiresAt: now + 60).signed(secret: TestApp.secret)
            let notFound = try await client.get("/verify-email?token=\(ghost)")
            #expect(notFound.status == 401 && notFound.code == "USER_NOT_FOUND")
            let session = try await client.get("/get-session", headers: ["Cookie": signed.cookie])
            #expect(session.json?["user"]?["emailVerified"] == .bool(false), "nothing above verified anything")
        }
    }

    @Test("change-email: a mail to the new address; the change happens when its link is followed; audited")
    func changeEmail() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            let headers = ["Cookie": signed.cookie]
            let reply = try await client.post("/change-email", #"{"newEmail":"New@X.io","callbackURL":"/settings"}"#, headers: headers)
            #expect(reply.status == 200 && reply.text == #"{"status":true}"#)
            let mail = try #require(await app.mailer.sent(atLeast: 1).first)
            #expect(mail.email == "new@x.io" && mail.mail.subject == "Confirm your new email for Stoa")
            #expect(mail.url.hasSuffix("&callbackURL=%2Fsettings"))
            let claims = try EmailVerificationToken.verify(Self.token(of: mail.url), secrets: [TestApp.secret], now: Int(app.clock.now().timeIntervalSince1970))
            #expect(claims.email == "a@x.io" && claims.updateTo == "new@x.io" && claims.requestType == "change-email-verification")
            // Nothing changed yet.
            #expect(try await client.get("/get-session", headers: headers).json?["user"]?["email"] == .string("a@x.io"))

            let followed = try await client.request(.get, Self.path(of: mail.url).replacingOccurrences(of: "&callbackURL=%2Fsettings", with: ""), headers: headers)
            #expect(followed.status == 200)
            #expect(followed.json?["status"] == .bool(true))
            #expect(followed.json?["user"]?["email"] == .string("new@x.io") && followed.json?["user"]?["emailVerified"] == .bool(true))
            #expect(try await client.get("/get-session", headers: headers).json?["user"]?["email"] == .string("new@x.io"))
            #expect(try await client.signIn(email: "new@x.io").reply.status == 200)
            #expect(try await client.signIn(email: "a@x.io").reply.status == 401)
            // The same link again: the old address has no account any more.
            let reused = try await client.request(.get, Self.path(of: mail.url))
            #expect(reused.status == 302 && reused.headers[.location] == "/settings?error=USER_NOT_FOUND")
            let types = try await Self.types(app)
            #expect(types.contains("email.change_requested") && types.contains("email.changed"))
        }
    }

    @Test("change-email refusals: disabled, same address, no session, hostile input; a taken address answers the same and sends nothing")
    func changeEmailRefusals() async throws {
        try await TestApp.run { client, app in
            _ = try await client.signUp(email: "b@x.io")
            let signed = try await client.signUp()
            let headers = ["Cookie": signed.cookie]
            let taken = try await client.post("/change-email", #"{"newEmail":"B@x.io"}"#, headers: headers)
            let free = try await client.post("/change-email", #"{"newEmail":"c@x.io"}"#, headers: headers)
            #expect(taken.status == 200 && taken.text == free.text)
            let sent = await app.mailer.sent(atLeast: 1)
            try await Task.sleep(for: .milliseconds(100))
            #expect(await app.mailer.sentNow().map(\.email) == ["c@x.io"] && sent.count == 1)
            let same = try await client.post("/change-email", #"{"newEmail":"A@x.io"}"#, headers: headers)
            #expect(same.status == 400 && same.text == #"{"message":"Email is the same"}"#)
            #expect(try await client.post("/change-email", #"{"newEmail":"c@x.io"}"#).status == 401)
            for body in [#"{}"#, #"{"newEmail":null}"#, #"{"newEmail":"nope"}"#, #"{"newEmail":["c@x.io"]}"#, #"{"newEmail":"c@x.io","callbackURL":false}"#] {
                let reply = try await client.post("/change-email", body, headers: headers)
                #expect(reply.status == 400 && reply.code == "VALIDATION_ERROR", "\(body) → \(reply.status)")
            }
            let evil = try await client.post("/change-email", #"{"newEmail":"c@x.io","callbackURL":"https://evil.com"}"#, headers: headers)
            #expect(evil.status == 403 && evil.code == "INVALID_CALLBACK_URL")
        }
        try await TestApp.run({ $0.email.changeEmailEnabled = false }) { client, _ in
            let signed = try await client.signUp()
            let reply = try await client.post("/change-email", #"{"newEmail":"c@x.io"}"#, headers: ["Cookie": signed.cookie])
            #expect(reply.status == 400 && reply.code == "CHANGE_EMAIL_DISABLED" && reply.message == "Change email is disabled")
        }
    }

    @Test("change-of-email links: someone else's session is INVALID_USER; a target taken meanwhile is refused; Better Auth's legacy and confirmation links work")
    func changeEmailLinks() async throws {
        try await TestApp.run { client, app in
            let ada = try await client.signUp()
            let bob = try await client.signUp(email: "bob@x.io")
            _ = try await client.post("/change-email", #"{"newEmail":"new@x.io"}"#, headers: ["Cookie": ada.cookie])
            let mail = try #require(await app.mailer.sent(atLeast: 1).first)
            let asBob = try await client.request(.get, Self.path(of: mail.url), headers: ["Cookie": bob.cookie])
            #expect(asBob.status == 302 && asBob.headers[.location] == "/?error=INVALID_USER")
            // Someone takes the address before the link is followed.
            _ = try await client.signUp(email: "new@x.io")
            let raced = try await client.request(.get, Self.path(of: mail.url), headers: ["Cookie": ada.cookie])
            #expect(raced.status == 302 && raced.headers[.location] == "/?error=USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")

            let now = Int(app.clock.now().timeIntervalSince1970)
            // Better Auth's two-step change: the old address confirms, then the new one gets its link.
            let confirm = EmailVerificationToken(email: "a@x.io", updateTo: "second@x.io", requestType: EmailVerificationToken.changeEmailConfirmation,
                                                 issuedAt: now, expiresAt: now + 3600).signed(secret: TestApp.secret)
            let confirmed = try await client.get("/verify-email?token=\(confirm)")
            #expect(confirmed.status == 200 && confirmed.text == #"{"status":true}"#)
            let second = try #require(await app.mailer.sent(atLeast: 2).last)
            #expect(second.email == "second@x.io")
            #expect(try await client.get("/get-session", headers: ["Cookie": ada.cookie]).json?["user"]?["email"] == .string("a@x.io"))
            // Followed without a session: Better Auth signs the follower in.
            let done = try await client.request(.get, Self.path(of: second.url))
            #expect(done.status == 302 && done.setCookie(named: "better-auth.session_token") != nil)
            #expect(try await client.get("/get-session", headers: ["Cookie": ada.cookie]).json?["user"]?["email"] == .string("second@x.io"))

            // The legacy one-step link: the address changes at once, unverified, and the new one gets a verification link.
            let legacy = EmailVerificationToken(email: "second@x.io", updateTo: "third@x.io", issuedAt: now, expiresAt: now + 3600).signed(secret: TestApp.secret)
            let changed = try await client.get("/verify-email?token=\(legacy)", headers: ["Cookie": ada.cookie])
            #expect(changed.status == 200 && changed.json?["user"]?["email"] == .string("third@x.io") && changed.json?["user"]?["emailVerified"] == .bool(false))
            let third = try #require(await app.mailer.sent(atLeast: 3).last)
            #expect(third.email == "third@x.io")
            #expect(try await client.request(.get, Self.path(of: third.url)).status == 302)
            #expect(try await client.get("/get-session", headers: ["Cookie": ada.cookie]).json?["user"]?["emailVerified"] == .bool(true))
        }
    }

    @Test("reset mail: through the outbox, with the app name, the link from BETTER_AUTH_URL, and nothing else secret")
    func resetMail() async throws {
        try await TestApp.run({ $0.email.appName = "Acme & <Co>" }) { client, app in
            _ = try await client.signUp(name: #"Zoë \"Z\""#)
            _ = try await client.post("/request-password-reset", #"{"email":"a@x.io","redirectTo":"/reset-password"}"#)
            let mail = try #require(await app.mailer.sent(atLeast: 1).first)
            #expect(mail.mail.subject == "Reset your Acme & <Co> password")
            #expect(mail.url.hasPrefix("http://localhost:3000/api/auth/reset-password/") && mail.url.hasSuffix("?callbackURL=%2Freset-password"))
            #expect(mail.mail.text.contains("Hello Zoë \"Z\","))
            #expect(mail.mail.html.contains("Acme &amp; &lt;Co&gt;") && mail.mail.html.contains("Zoë &quot;Z&quot;"))
            #expect(!mail.mail.html.contains("<Co>"))
            #expect(!mail.mail.text.contains("password123") && !mail.mail.text.contains(TestApp.secret))
            var row = try #require(try await app.database.first(#"SELECT "status", "text" FROM "mail_outbox""#))
            for _ in 0..<200 where (try row.string("status")) != "sent" {
                try await Task.sleep(for: .milliseconds(10))
                row = try #require(try await app.database.first(#"SELECT "status", "text" FROM "mail_outbox""#))
            }
            let (status, text) = (try row.string("status"), try row.string("text"))
            #expect(status == "sent" && text == "", "a sent mail's link does not stay in the database")
        }
    }

    @Test("deleting the account deletes the mails to its address")
    func deletionClearsOutbox() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.signUp()
            _ = try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#)
            _ = await app.mailer.sent(atLeast: 1)
            #expect(try await app.database.query(#"SELECT "id" FROM "mail_outbox""#).count == 1)
            #expect(try await client.post("/delete-user", #"{"password":"password123"}"#, headers: ["Cookie": signed.cookie]).status == 200)
            #expect(try await app.database.query(#"SELECT "id" FROM "mail_outbox""#).isEmpty)
        }
    }

    @Test("the three routes are registered for every method rule: wrong method → 404 empty")
    func routing() async throws {
        try await TestApp.run { client, _ throws in
            #expect(try await client.request(.get, "/api/auth/send-verification-email").status == 404)
            #expect(try await client.request(.post, "/api/auth/verify-email", json: "{}").status == 404)
            #expect(try await client.request(.get, "/api/auth/change-email").status == 404)
            #expect(try await client.request(.get, "/api/auth/verify-email/").status == 404)
        }
    }
}
