import Foundation
import HTTPTypes
import Knowledge
import StoaCore
import Testing

/// The embeddable widget's server side (issue 23): `GET /widget.js` caching, `GET
/// /widget/status`, CORS for trusted host pages, and the `page` context of questions.
@Suite struct WidgetTests {
    static let docsSite = "https://docs.example"

    static func trusting(_ config: inout StoaConfiguration) { config.trustedOrigins = [docsSite] }

    @Test("widget.js: JavaScript, a day of public caching, a strong ETag, 304 on If-None-Match, a year when pinned with ?v=")
    func script() async throws {
        try await TestApp.run { client, _ in
            let first = try await client.request(.get, "/widget.js", origin: nil)
            #expect(first.status == 200)
            #expect(first.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(first.headers[.cacheControl] == "public, max-age=86400")
            #expect(first.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] == "cross-origin")
            let etag = try #require(first.headers[.eTag])
            #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
            #expect(first.text.utf8.count < 40 * 1024, "widget.js must stay under 40 KB, is \(first.text.utf8.count) bytes")
            #expect(first.text.contains("attachShadow({ mode: 'closed' })"))
            for header in [etag, "W/" + etag, "\"nope\", " + etag, "*"] {
                let again = try await client.request(.get, "/widget.js", headers: ["If-None-Match": header], origin: nil)
                #expect(again.status == 304 && again.text.isEmpty && again.headers[.eTag] == etag, "\(header)")
            }
            for header in ["\"nope\"", "", String(repeating: "\"x\",", count: 2000)] {
                let fresh = try await client.request(.get, "/widget.js", headers: ["If-None-Match": header], origin: nil)
                #expect(fresh.status == 200, "\(header.prefix(20))")
            }
            let pinned = try await client.request(.get, "/widget.js?v=2026.12", origin: nil)
            #expect(pinned.headers[.cacheControl] == "public, max-age=31536000, immutable")
            // From another origin's page it loads like any script, with or without trust.
            let foreign = try await client.request(.get, "/widget.js", origin: "https://untrusted.example")
            #expect(foreign.status == 200 && foreign.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("widget/status tells a page whether its origin is trusted, readable from anywhere")
    func status() async throws {
        try await TestApp.run(Self.trusting) { client, _ in
            let trusted = try await client.request(.get, "/widget/status", origin: Self.docsSite)
            #expect(trusted.json?["trusted"] == .bool(true) && trusted.json?["origin"] == .string(Self.docsSite))
            #expect(trusted.headers[.accessControlAllowOrigin] == Self.docsSite)
            let other = try await client.request(.get, "/widget/status", origin: "https://Evil.example:8443")
            #expect(other.json?["trusted"] == .bool(false))
            #expect(other.json?["origin"] == .string("https://evil.example:8443"))
            #expect(other.json?["setting"] == .string("BETTER_AUTH_TRUSTED_ORIGINS"))
            #expect(other.headers[.accessControlAllowOrigin] == "*")
            #expect(other.headers[.accessControlAllowCredentials] == nil)
            for hostile in ["null", "not a url", String(repeating: "a", count: 5000), "javascript:alert(1)"] {
                let reply = try await client.request(.get, "/widget/status", origin: hostile)
                #expect(reply.status == 200 && reply.json?["trusted"] == .bool(false), "\(hostile.prefix(20))")
                #expect(reply.headers[.accessControlAllowOrigin] == "*")
            }
            let sameSite = try await client.request(.get, "/widget/status", origin: nil)
            #expect(sameSite.json?["trusted"] == .bool(true) && sameSite.json?["origin"] == .null)
        }
    }

    @Test("CORS: a trusted page's preflight for authorization + content-type passes; an untrusted page's gets nothing")
    func cors() async throws {
        try await TestApp.run(Self.trusting) { client, _ in
            let preflight = ["Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"]
            let ok = try await client.request(.options, "/api/chat", headers: preflight, origin: Self.docsSite)
            #expect(ok.status == 204)
            #expect(ok.headers[.accessControlAllowOrigin] == Self.docsSite)
            #expect(ok.headers[.accessControlAllowHeaders]?.contains("authorization") == true)
            #expect(ok.headers[.accessControlAllowHeaders]?.contains("content-type") == true)
            let signIn = try await client.request(.options, "/api/auth/sign-in/email", headers: preflight, origin: Self.docsSite)
            #expect(signIn.headers[.accessControlAllowOrigin] == Self.docsSite)
            let denied = try await client.request(.options, "/api/chat", headers: preflight, origin: "https://evil.example")
            #expect(denied.headers[.accessControlAllowOrigin] == nil)

            // The widget's sign-up from the docs site: a bearer token it can read, then API calls with it.
            let signUp = try await client.request(.post, "/api/auth/sign-up/email", json: #"{"name":"R","email":"r@x.io","password":"password123"}"#,
                                                  origin: Self.docsSite)
            #expect(signUp.status == 200, "\(signUp.text)")
            #expect(signUp.headers[.accessControlExposeHeaders]?.contains("set-auth-token") == true)
            let token = try #require(signUp.headers[HTTPField.Name("set-auth-token")!])
            let me = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(token)"], origin: Self.docsSite)
            #expect(me.status == 200 && me.headers[.accessControlAllowOrigin] == Self.docsSite)
            // Sign-out with the bearer token revokes the session on the server.
            let out = try await client.request(.post, "/api/auth/sign-out", json: "{}", headers: ["Authorization": "Bearer \(token)"], origin: Self.docsSite)
            #expect(out.status == 200, "\(out.text)")
            let after = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(token)"], origin: Self.docsSite)
            #expect(after.status == 401)
        }
    }

    /// The document URL of a cited source (its heading anchor dropped).
    static func document(_ source: JSONValue?) -> String {
        String((source?["source"]?.stringValue ?? "").split(separator: "#").first ?? "")
    }

    static func sources(_ reply: TestApp.Reply) -> [JSONValue] {
        if case .array(let items)? = reply.json?["sources"] { return items } else { return [] }
    }

    @Test("page context: the page's matching passage is cited first; a page matching no document changes nothing")
    func ranking() async throws {
        try await TestApp.run { client, app in
            try await DocumentTests.ingest(app)
            let a = try await APIUser.signUp(client, "a@x.io")
            let question = "What happens to my JWTs when a key is rotated?"
            let plain = try await a.call(.post, "/api/chat", #"{"query":"\#(question)"}"#)
            let top = Self.document(Self.sources(plain).first)
            #expect(top == "https://book.example/docs/tokens-and-keys", "\(plain.text)")
            // Another document that also matches the question, found lower in the search.
            let search = try await a.call(.get, "/api/search?q=\(question.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&limit=20")
            let items: [JSONValue] = { if case .array(let i)? = search.json?["items"] { return i } else { return [] } }()
            let other = try #require(items.map { Self.document($0) }.first { !$0.isEmpty && $0 != top })
            for spelling in [other, other + "/", other + "/?ref=nav#top", other + ".html"] {
                let body = #"{"query":"\#(question)","page":{"url":"\#(spelling)","title":"A page"}}"#
                let boosted = try await a.call(.post, "/api/chat", body)
                #expect(boosted.status == 200, "\(boosted.text)")
                #expect(Self.document(Self.sources(boosted).first) == other, "\(spelling): \(Self.sources(boosted).map { Self.document($0) })")
            }
            for elsewhere in ["https://book.example/docs/nowhere", "https://other.example/docs/tokens-and-keys", "https://book.example/docs"] {
                let same = try await a.call(.post, "/api/chat", #"{"query":"\#(question)","page":{"url":"\#(elsewhere)"}}"#)
                #expect(Self.sources(same) == Self.sources(plain), "\(elsewhere)")
            }
            // ask-selection and the messages route take the page too, and ask-selection streams.
            let selection = #"{"selection":"Keys rotate.","question":"\#(question)","page":{"url":"\#(other)"}}"#
            let asked = try await a.call(.post, "/api/ask-selection", selection)
            #expect(Self.document(Self.sources(asked).first) == other, "\(asked.text)")
            let stream = try await client.request(.post, "/api/ask-selection", json: selection,
                                                  headers: ["Authorization": "Bearer \(a.token)", "Accept": "text/event-stream"])
            let events = ChatTests.events(stream.text)
            #expect(events.first?.0 == "message" && events.last?.0 == "done", "\(events.map(\.0))")
            #expect(events.first?.1?["content"]?.stringValue?.hasPrefix("About this selected text:") == true)
            #expect(Self.document(DocumentTests.first(events.last?.1?["sources"])) == other)
            let id = try await a.createConversation()
            let message = try await a.call(.post, "/api/conversations/\(id)/messages", #"{"content":"\#(question)","page":{"url":"\#(other)"}}"#)
            #expect(Self.document(DocumentTests.first(message.json?["assistantMessage"]?["sources"])) == other, "\(message.text)")
        }
    }

    @Test("hostile page values are 400s that name the field")
    func hostilePages() async throws {
        try await TestApp.run { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let long = String(repeating: "a", count: 2100)
            let cases: [(String, String)] = [
                (#""page":"https://docs.example/""#, "page"),
                (#""page":[]"#, "page"),
                (#""page":{}"#, "page.url"),
                (#""page":{"url":null}"#, "page.url"),
                (#""page":{"url":42}"#, "page"),
                (#""page":{"url":"javascript:alert(1)"}"#, "page.url"),
                (#""page":{"url":"ftp://docs.example/x"}"#, "page.url"),
                (#""page":{"url":"/relative/path"}"#, "page.url"),
                (#""page":{"url":"https://\#(long).example/"}"#, "page.url"),
                (#""page":{"url":"https://docs.example/","title":"\#(String(repeating: "t", count: 400))"}"#, "page.title"),
                (#""page":{"url":"https://docs.example/ x"}"#, "page.url"),
                (#""page":{"url":"https://docs.example/","evil":1}"#, "page.evil"),
            ]
            for (fragment, field) in cases {
                for (path, body) in [("/api/chat", #"{"query":"hi","#), ("/api/ask-selection", #"{"selection":"s","question":"q","#)] {
                    let reply = try await a.call(.post, path, body + fragment + "}")
                    #expect(reply.status == 400 && reply.code == "VALIDATION_ERROR", "\(path) \(fragment.prefix(60)): \(reply.text)")
                    #expect(reply.message?.contains(field) == true, "\(path) \(fragment.prefix(60)): \(reply.text)")
                }
            }
            let nul = try await a.call(.post, "/api/chat", #"{"query":"hi","page":{"url":"https://docs.example/","title":"a\u0000b"}}"#)
            #expect(nul.status == 400 && nul.code == "VALIDATION_ERROR", "\(nul.text)")
            // Deeply nested junk is refused by the body limits, and null means no page.
            let nested = String(repeating: #"{"a":"#, count: 200) + "1" + String(repeating: "}", count: 200)
            let deep = try await a.call(.post, "/api/chat", #"{"query":"hi","page":\#(nested)}"#)
            #expect(deep.status == 400)
            let none = try await a.call(.post, "/api/chat", #"{"query":"hi","page":null}"#)
            #expect(none.status == 200)
        }
    }
}
