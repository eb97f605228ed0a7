import Conversations
import Foundation
import Hummingbird
import StoaCore
import StoaServer
import Storage
import Tasks
import Testing

/// The application API of api.md: conversations, messages, history, tasks, feedback, isolation.
@Suite struct APITests {
    /// User A with one of everything; returns A, B and A's ids and private text.
    static func seed(_ client: TestApp.Client, _ app: TestApp) async throws -> (a: APIUser, b: APIUser, ids: [String: String], secrets: [String]) {
        let a = try await APIUser.signUp(client, "a@x.io")
        let b = try await APIUser.signUp(client, "b@x.io")
        let conversation = try await a.createConversation("Alpha plans zebracorn")
        let now = app.clock.now()
        let m1 = try #require(try await app.services.conversations.append(
            userID: a.id, conversationID: conversation, role: .user, content: "my secret quokkaphrase", sources: .array([]), toolCalls: .array([]), truncated: false, at: now))
        let m2 = try #require(try await app.services.conversations.append(
            userID: a.id, conversationID: conversation, role: .assistant, content: "noted the quokkaphrase", sources: .array([]), toolCalls: .array([]), truncated: false, at: now))
        let task = try await a.call(.post, "/api/tasks", #"{"title":"buy narwhalmilk","description":"private"}"#)
        let taskID = try #require(task.json?["id"]?.stringValue)
        let feedback = try await a.call(.post, "/api/feedback", #"{"message_id":"\#(m2.id)","rating":"up"}"#)
        #expect(feedback.status == 201)
        return (a, b, ["conversation": conversation, "message": m1.id, "message2": m2.id, "task": taskID, "user": a.id],
                ["zebracorn", "quokkaphrase", "narwhalmilk", conversation, m1.id, m2.id, taskID, a.id])
    }

    @Test("isolation: every /api route, called by B with A's ids, finds nothing and leaks nothing") func isolation() async throws {
        try await TestApp.run { client, app in
            let (_, b, ids, secrets) = try await Self.seed(client, app)
            let routes = buildRouter(services: app.services).routes
                .filter { $0.path.description.hasPrefix("/api") && !$0.path.description.hasPrefix("/api/auth") }
            #expect(routes.count >= 14, "routes: \(routes)")
            for route in routes {
                var path = route.path.description
                let hasID = path.contains("{id}") || path.contains(":id")
                let id = path.contains("tasks") ? ids["task"]! : ids["conversation"]!
                path = path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: ":id", with: id)
                // A valid body for the route, pointing at A's data wherever the route takes an id.
                var body: String? = nil
                var targetsA = hasID
                if route.method == .post || route.method == .patch {
                    if path.hasSuffix("feedback") {
                        body = #"{"message_id":"\#(ids["message2"]!)","rating":"down"}"#; targetsA = true
                    } else if path.hasSuffix("/messages") {
                        body = #"{"content":"hello"}"#
                    } else if path.hasSuffix("/chat") {
                        body = #"{"query":"hello","session_id":"\#(ids["conversation"]!)"}"#; targetsA = true
                    } else if path.hasSuffix("/ask-selection") {
                        body = #"{"selection":"x","question":"y","session_id":"\#(ids["conversation"]!)"}"#; targetsA = true
                    } else {
                        body = #"{"title":"b's"}"#
                    }
                }
                let reply = try await b.call(route.method, path, body)
                let label = "\(route.method) \(route.path) → \(reply.status)"
                if targetsA {
                    #expect(reply.status == 404, "\(label)")
                    #expect(reply.code == "NOT_FOUND", "\(label)")
                } else {
                    #expect(reply.status < 500, "\(label)")
                }
                for secret in secrets {
                    #expect(!reply.text.contains(secret), "\(label) leaked \(secret)")
                }
                if route.method == .get, path.hasSuffix("conversations") || path.hasSuffix("tasks") || path.hasSuffix("history") {
                    #expect(reply.status == 200, "\(label)")
                }
            }
            // A's data is intact.
            let a = APIUser(client: client, id: ids["user"]!, token: try await client.signIn(email: "a@x.io").token)
            #expect(try await a.call(.get, "/api/conversations/\(ids["conversation"]!)").status == 200)
            #expect(try await a.call(.get, "/api/tasks/\(ids["task"]!)").json?["title"] == .string("buy narwhalmilk"))
        }
    }

    @Test("pagination: 250 conversations, limit 20, no duplicates or gaps while new ones arrive") func pagination() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            var created: Set<String> = []
            for i in 0..<250 {
                app.clock.advance(by: 0.001 * Double(i % 3))
                created.insert(try await app.services.conversations.create(userID: a.id, id: nil, title: "c\(i)", at: app.clock.now()).id)
            }
            var seen: [String] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let reply = try await a.call(.get, "/api/conversations?limit=20" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(reply.status == 200)
                guard case .array(let items)? = reply.json?["items"] else { Issue.record("no items"); return }
                #expect(items.count <= 20)
                seen += items.compactMap { $0["id"]?.stringValue }
                cursor = reply.json?["nextCursor"]?.stringValue
                pages += 1
                // Someone starts a new conversation between pages.
                app.clock.advance(by: 1)
                _ = try await a.createConversation("new \(pages)")
            } while cursor != nil && pages < 50
            #expect(Set(seen).count == seen.count, "duplicates: \(seen.count - Set(seen).count)")
            let gaps = created.subtracting(seen).count
            #expect(gaps == 0, "gaps: \(gaps)")
            #expect(pages == 13)
            // Pinned conversations come first.
            let pinned = try await a.call(.patch, "/api/conversations/\(seen[200])", #"{"pinned":true}"#)
            #expect(pinned.json?["pinned"] == .bool(true))
            let first = try await a.call(.get, "/api/conversations?limit=1")
            #expect(first.json?["items"].flatMap { if case .array(let i) = $0 { return i.first?["id"] } else { return nil } } == .string(seen[200]))
        }
    }

    @Test("search: a word in one message finds that conversation for its owner only") func search() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let b = try await APIUser.signUp(client, "b@x.io")
            var target = ""
            for i in 0..<5 {
                let id = try await a.createConversation("Chat \(i)")
                let text = i == 3 ? "We talked about the xylophonist's running practice" : "ordinary message number \(i)"
                _ = try await app.services.conversations.append(userID: a.id, conversationID: id, role: .user, content: text,
                                                                sources: .array([]), toolCalls: .array([]), truncated: false, at: app.clock.now())
                if i == 3 { target = id }
            }
            _ = try await b.createConversation("B's chat")
            func ids(_ user: APIUser, _ q: String) async throws -> [String] {
                let reply = try await user.call(.get, "/api/conversations?q=" + (q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q))
                #expect(reply.status == 200, "\(reply.text)")
                guard case .array(let items)? = reply.json?["items"] else { return [] }
                return items.compactMap { $0["id"]?.stringValue }
            }
            #expect(try await ids(a, "xylophonist") == [target])
            #expect(try await ids(b, "xylophonist").isEmpty)
            #expect(try await ids(a, "runs") == [target], "stemming")
            #expect(try await ids(a, "chat 2").count == 1, "title search")
            #expect(try await ids(a, "\"; DROP TABLE message; --").isEmpty)
            #expect(try await ids(a, "xylophonist OR ordinary") == [], "operators are words, all required")
        }
    }

    @Test("deleting a user removes every row they own and nothing of anyone else") func deleteUser() async throws {
        try await TestApp.run { client, app in
            let (a, b, _, _) = try await Self.seed(client, app)
            let bConversation = try await b.createConversation("B keeps this")
            _ = try await app.services.conversations.append(userID: b.id, conversationID: bConversation, role: .user, content: "hello",
                                                            sources: .array([]), toolCalls: .array([]), truncated: false, at: app.clock.now())
            _ = try await b.call(.post, "/api/tasks", #"{"title":"b task"}"#)
            _ = try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#)
            let tables: [(String, String)] = [("user", "id"), ("session", "userId"), ("account", "userId"), ("conversation", "user_id"),
                                              ("message", "user_id"), ("task", "user_id"), ("feedback", "user_id"), ("verification", "value")]
            func counts(_ userID: String) async throws -> [String: Int64] {
                var result: [String: Int64] = [:]
                for (table, column) in tables {
                    let row = try await app.database.first(#"SELECT COUNT(*) AS "n" FROM "\#(table)" WHERE "\#(column)" = ?"#, userID)
                    result[table] = try row?.int("n") ?? -1
                }
                return result
            }
            let before = try await counts(a.id)
            let bBefore = try await counts(b.id)
            #expect(before.values.allSatisfy { $0 > 0 }, "\(before)")
            let wrong = try await client.post("/delete-user", #"{"password":"wrong-password"}"#, headers: ["Authorization": "Bearer \(a.token)"])
            #expect(wrong.status == 400 && wrong.code == "INVALID_PASSWORD")
            let deleted = try await client.post("/delete-user", #"{"password":"password123"}"#, headers: ["Authorization": "Bearer \(a.token)"])
            #expect(deleted.status == 200)
            #expect(deleted.text == #"{"success":true,"message":"User deleted"}"#)
            #expect(try await counts(a.id).values.allSatisfy { $0 == 0 })
            #expect(try await counts(b.id) == bBefore)
            #expect(try await client.signIn(email: "a@x.io").reply.status == 401)
            // Without a password a stale session may not delete.
            app.clock.advance(by: 2 * 86_400)
            let stale = try await client.post("/delete-user", "{}", headers: ["Authorization": "Bearer \(b.token)"])
            #expect(stale.status == 400 && stale.code == "SESSION_EXPIRED")
        }
    }

    @Test("conversations, messages with escaped Markdown, export, history, tasks") func crud() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let created = try await a.call(.post, "/api/conversations", "{}")
            #expect(created.status == 201)
            #expect(created.json?["title"] == .string("") && created.json?["messageCount"] == .number(0) && created.json?["lastMessage"] == .null)
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(UUIDv7.isValid(id) && id == id.lowercased())
            let content = "**Bold** <img src=x onerror=alert(1)> [x](javascript:alert(1)) `a<b`"
            _ = try await app.services.conversations.append(userID: a.id, conversationID: id, role: .user, content: content,
                                                            sources: .array([]), toolCalls: .array([]), truncated: false, at: app.clock.now())
            app.clock.advance(by: 1)
            _ = try await app.services.conversations.append(userID: a.id, conversationID: id, role: .assistant, content: "Sure.",
                                                            sources: .array([]), toolCalls: .array([]), truncated: false, at: app.clock.now())
            let got = try await a.call(.get, "/api/conversations/\(id)")
            #expect(got.json?["title"] == .string(content))
            #expect(got.json?["messageCount"] == .number(2))
            #expect(got.json?["lastMessage"]?["role"] == .string("assistant"))
            let messages = try await a.call(.get, "/api/conversations/\(id)/messages?limit=1")
            guard case .array(let items)? = messages.json?["items"] else { Issue.record("no items"); return }
            #expect(items.first?["content"] == .string("Sure."))
            #expect(items.first?["html"] == .string("<p>Sure.</p>"))
            let older = try await a.call(.get, "/api/conversations/\(id)/messages?limit=1&cursor=\(messages.json?["nextCursor"]?.stringValue ?? "")")
            guard case .array(let olderItems)? = older.json?["items"], let first = olderItems.first else { Issue.record("no older"); return }
            let html = first["html"]?.stringValue ?? ""
            #expect(html.contains("<strong>Bold</strong>"))
            #expect(!html.contains("<img"))
            #expect(!html.contains("javascript:"))
            #expect(older.json?["nextCursor"] == .null)
            let export = try await a.call(.get, "/api/conversations/\(id)/export?format=md")
            #expect(export.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            #expect(export.text.contains("Sure."))
            let json = try await a.call(.get, "/api/conversations/\(id)/export")
            guard case .array(let exported)? = json.json?["messages"] else { Issue.record("no export"); return }
            #expect(exported.first?["role"] == .string("user"))
            let history = try await a.call(.get, "/api/user/history")
            #expect(history.json?["items"].map { if case .array(let i) = $0 { return i.count } else { return 0 } } == 2)
            let renamed = try await a.call(.patch, "/api/conversations/\(id)", #"{"title":"Renamed","archived":true}"#)
            #expect(renamed.json?["title"] == .string("Renamed") && renamed.json?["archived"] == .bool(true))
            #expect(try await a.call(.get, "/api/conversations").json?["items"] == .array([]))
            #expect(try await a.call(.get, "/api/conversations?archived=true").json?["items"].map { if case .array(let i) = $0 { return i.count } else { return 0 } } == 1)
            #expect(try await a.call(.delete, "/api/conversations/\(id)").status == 204)
            #expect(try await a.call(.get, "/api/conversations/\(id)").status == 404)

            // Tasks
            let t1 = try await a.call(.post, "/api/tasks", #"{"title":"Buy milk","dueAt":"2026-12-01"}"#)
            #expect(t1.status == 201 && t1.json?["dueAt"] == .string("2026-12-01T00:00:00.000Z") && t1.json?["completed"] == .bool(false))
            let t2 = try await a.call(.post, "/api/tasks", #"{"title":"Call 100% Bob","description":"about the_plan"}"#)
            let t2id = try #require(t2.json?["id"]?.stringValue)
            let done = try await a.call(.patch, "/api/tasks/\(t2id)", #"{"completed":true,"description":null}"#)
            #expect(done.json?["completed"] == .bool(true) && done.json?["description"] == .null)
            func titles(_ query: String) async throws -> [String] {
                let reply = try await a.call(.get, "/api/tasks" + query)
                guard case .array(let items)? = reply.json?["items"] else { return [] }
                return items.compactMap { $0["title"]?.stringValue }
            }
            #expect(try await titles("?status=open") == ["Buy milk"])
            #expect(try await titles("?status=done") == ["Call 100% Bob"])
            #expect(try await titles("?status=all") == ["Call 100% Bob", "Buy milk"])
            #expect(try await titles("?q=MILK") == ["Buy milk"])
            #expect(try await titles("?q=100%25") == ["Call 100% Bob"])
            #expect(try await titles("?q=_") == [])
            #expect(try await a.call(.delete, "/api/tasks/\(t2id)").status == 204)
            #expect(try await a.call(.delete, "/api/tasks/\(t2id)").status == 404)
        }
    }

    @Test("bad input on every route: 4xx with {code, message}, never 500") func badInput() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let conversation = try await a.createConversation("x")
            let huge = String(repeating: "x", count: 40_000)
            let cases: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/conversations?limit=0", nil), (.get, "/api/conversations?limit=-5", nil), (.get, "/api/conversations?limit=101", nil),
                (.get, "/api/conversations?limit=99999999999999999999", nil), (.get, "/api/conversations?limit=abc", nil),
                (.get, "/api/conversations?cursor=garbage", nil), (.get, "/api/conversations?cursor=W10", nil),
                (.get, "/api/conversations?cursor=" + String(repeating: "A", count: 2000), nil),
                (.get, "/api/conversations?archived=maybe", nil), (.get, "/api/conversations?q=" + String(repeating: "q", count: 600), nil),
                (.get, "/api/conversations/not-a-uuid", nil), (.get, "/api/conversations/' OR 1=1 --", nil),
                (.get, "/api/conversations/00000000-0000-0000-0000-000000000000", nil),
                (.get, "/api/conversations/\(conversation)/messages?cursor=%00", nil),
                (.get, "/api/conversations/\(conversation)/export?format=pdf", nil),
                (.get, "/api/user/history?limit=1000", nil), (.get, "/api/tasks?status=later", nil), (.get, "/api/tasks?cursor=e30", nil),
                (.post, "/api/conversations", #"{"title":5}"#), (.post, "/api/conversations", #"{"title":"\#(huge)"}"#),
                (.post, "/api/conversations", #"{"user_id":"someone-else"}"#), (.post, "/api/conversations", "[1,2]"), (.post, "/api/conversations", "{bad"),
                (.patch, "/api/conversations/\(conversation)", #"{"pinned":"yes"}"#), (.patch, "/api/conversations/\(conversation)", #"{"archived":null}"#),
                (.post, "/api/tasks", "{}"), (.post, "/api/tasks", #"{"title":""}"#), (.post, "/api/tasks", #"{"title":null}"#),
                (.post, "/api/tasks", #"{"title":["a"]}"#), (.post, "/api/tasks", #"{"title":"t","dueAt":"tomorrowish"}"#),
                (.post, "/api/tasks", #"{"title":"t","dueAt":12}"#), (.post, "/api/tasks", #"{"title":"\#(huge)"}"#),
                (.post, "/api/tasks", #"{"title":"a\u0000b"}"#), (.patch, "/api/tasks/nope", #"{"completed":true}"#),
                (.post, "/api/feedback", #"{"message_id":"nope","rating":"up"}"#), (.post, "/api/feedback", #"{"message_id":"\#(conversation)","rating":"meh"}"#),
                (.post, "/api/feedback", #"{"rating":"up"}"#),
            ]
            for (method, path, body) in cases {
                let reply = try await a.call(method, path, body)
                #expect((400..<500).contains(reply.status), "\(method) \(path.prefix(80)) → \(reply.status) \(reply.text.prefix(120))")
                #expect(reply.code != nil && reply.message != nil, "\(method) \(path.prefix(80)) → \(reply.text.prefix(120))")
            }
            let plain = try await a.call(.post, "/api/tasks", "title=x", contentType: "text/plain")
            #expect(plain.status == 415)
            let limitError = try await a.call(.get, "/api/tasks?limit=0")
            #expect(limitError.message?.contains("limit") == true)
            let cursorError = try await a.call(.get, "/api/tasks?cursor=zzz")
            #expect(cursorError.message?.contains("cursor") == true)
            let fieldError = try await a.call(.post, "/api/tasks", #"{"title":5}"#)
            #expect(fieldError.message?.contains("title") == true)
            #expect(try await a.call(.get, "/api/me").status == 200)
        }
    }
}
