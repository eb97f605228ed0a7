import Foundation
import HTTPTypes
import StoaCore
import Testing

/// Issue 17's hardening, route by route: form bodies that used to trap, decoding limits, CORS on
/// errors, per-user turn limits, password reset revocation and timing.
@Suite struct HardeningTests {
    static let formBodies = ["name=x&email=a b", "name=x&email=%zz&password=password123", "email=#&password=<", "%", "%%", "=&=&",
                             "a=%E0%A4", String(repeating: "&", count: 100_000), "name=" + String(repeating: "x", count: 1 << 19),
                             "name=a+b&email=a%40x.io&password=pass+word+1", (0..<2_000).map { "f\($0)=1" }.joined(separator: "&")]

    @Test("form bodies on sign-up and sign-in: 4xx or success, never a trap") func formBodies() async throws {
        try await TestApp.run { client, _ in
            for route in ["/sign-up/email", "/sign-in/email"] {
                for body in Self.formBodies {
                    let reply = try await client.request(.post, "/api/auth" + route, contentType: "application/x-www-form-urlencoded", rawBody: Array(body.utf8))
                    #expect(reply.status < 500, "\(route) \(body.prefix(40)) → \(reply.status) \(reply.text.prefix(120))")
                    if reply.status >= 400 { #expect(reply.message != nil) }
                }
            }
            // A well-formed form still signs up ("+" is a space, %40 is @).
            let ok = try await client.request(.post, "/api/auth/sign-up/email", contentType: "application/x-www-form-urlencoded",
                                              rawBody: Array("name=Form+User&email=form%40x.io&password=password123".utf8))
            #expect(ok.status == 200)
            #expect(ok.json?["user"]?["name"] == .string("Form User"))
            #expect(try await client.get("/ok").status == 200)
        }
    }

    @Test("JSON past the request limits: 400 with {code, message} on /api/auth and /api") func jsonLimits() async throws {
        try await TestApp.run { client, _ in
            let manyKeys = "{" + (0..<2_000).map { "\"k\($0)\":1" }.joined(separator: ",") + "}"
            let reply = try await client.post("/sign-out", manyKeys)
            #expect(reply.status == 400)
            #expect(reply.message?.contains("more than 1000 members") == true)
            let a = try await APIUser.signUp(client, "a@x.io")
            let deep = String(repeating: "[", count: 100_000)
            let api = try await a.call(.post, "/api/conversations", deep)
            #expect(api.status == 400)
            #expect(api.code == "VALIDATION_ERROR")
            #expect(api.message?.contains("deeper than 32") == true)
        }
    }

    @Test("CORS headers on errors to trusted origins, none for others") func corsOnErrors() async throws {
        try await TestApp.run({ $0.trustedOrigins = ["http://app.example"] }) { client, _ in
            _ = try await client.signUp()
            let wrong = try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"wrong-password"}"#, origin: "http://app.example")
            #expect(wrong.status == 401)
            #expect(wrong.headers[.accessControlAllowOrigin] == "http://app.example")
            #expect(wrong.headers[.accessControlAllowCredentials] == "true")
            let api = try await client.request(.get, "/api/conversations", origin: "http://app.example")
            #expect(api.status == 401)
            #expect(api.headers[.accessControlAllowOrigin] == "http://app.example")
            let missing = try await client.request(.get, "/api/nothing-here", origin: "http://app.example")
            #expect(missing.headers[.accessControlAllowOrigin] == "http://app.example")
            let untrusted = try await client.request(.get, "/api/conversations", origin: "http://evil.example")
            #expect(untrusted.status == 401)
            #expect(untrusted.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("per-user turn limit: 429 with Retry-After, the refused turn saves nothing") func turnLimit() async throws {
        try await TestApp.run({ $0.rateLimit.userTurnsPerMinute = 2 }) { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let b = try await APIUser.signUp(client, "b@x.io")
            let id = try await a.createConversation()
            for _ in 0..<2 { #expect(try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"hello"}"#).status == 201) }
            let refused = try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"one more"}"#)
            #expect(refused.status == 429)
            #expect(refused.code == "RATE_LIMITED")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await a.call(.post, "/api/chat", #"{"query":"hello"}"#).status == 429)
            let messages = try await a.call(.get, "/api/conversations/\(id)/messages")
            guard case .array(let items)? = messages.json?["items"] else { Issue.record("no items"); return }
            #expect(items.count == 4)
            #expect(!messages.text.contains("one more"))
            // Another user is not affected; a minute later the first may talk again.
            #expect(try await b.call(.post, "/api/chat", #"{"query":"hello"}"#).status == 200)
            app.clock.advance(by: 61)
            #expect(try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"again"}"#).status == 201)
        }
    }

    static func resetToken(_ app: TestApp, mails: Int) async throws -> String {
        let sent = await app.mailer.sent(atLeast: mails)
        let url = try #require(sent.last?.url)
        return String(url.split(separator: "/reset-password/").last?.prefix { $0 != "?" } ?? "")
    }

    @Test("a reset revokes every session and the other reset links; off restores Better Auth's behaviour",
          arguments: [true, false])
    func resetRevokes(revoke: Bool) async throws {
        try await TestApp.run({ $0.revokeSessionsOnReset = revoke }) { client, app in
            _ = try await client.signUp()
            let other = try await client.signIn()
            _ = try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#)
            let first = try await Self.resetToken(app, mails: 1)
            _ = try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#)
            let second = try await Self.resetToken(app, mails: 2)
            #expect(first != second)
            #expect(try await client.post("/reset-password", #"{"token":"\#(second)","newPassword":"password999"}"#).status == 200)
            let session = try await client.get("/get-session", headers: ["Cookie": other.cookie])
            #expect(session.status == 200)
            #expect((session.text == "null") == revoke, "\(session.text.prefix(80))")
            let reuse = try await client.post("/reset-password", #"{"token":"\#(first)","newPassword":"password000"}"#)
            #expect(reuse.status == (revoke ? 400 : 200))
        }
    }

    @Test("reset requests: an unknown email gets the same answer and no link; no Server-Timing on /api/auth") func resetUniform() async throws {
        try await TestApp.run { client, app in
            _ = try await client.signUp()
            let unknown = try await client.post("/request-password-reset", #"{"email":"nobody@x.io"}"#)
            let known = try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#)
            #expect(unknown.status == 200 && known.status == 200)
            #expect(unknown.text == known.text)
            for reply in [unknown, known] { #expect(reply.headers[HTTPField.Name("Server-Timing")!] == nil) }
            #expect(await app.mailer.sent(atLeast: 1).count == 1)
            // The decoy row an unknown address leaves cannot reset anything.
            let decoys = try await app.database.query(#"SELECT "identifier" FROM "verification" WHERE "value" = ''"#)
            #expect(decoys.count == 1)
            let token = String(try decoys[0].string("identifier").dropFirst("reset-password:".count))
            let reply = try await client.post("/reset-password", #"{"token":"\#(token)","newPassword":"password999"}"#)
            #expect(reply.status == 400)
            #expect(reply.code == "INVALID_TOKEN")
        }
    }
}
