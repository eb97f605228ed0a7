import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import StoaCore
import StoaServer
import StoaTestSupport
import Storage
import Testing

/// `/mcp` in-process: authentication, sessions bound to their user, idle expiry.
/// (The full protocol with the official client is in Tests/e2e/test_mcp.py.)
@Suite struct MCPTests {
    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#
    static let listTools = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#

    static func post(_ user: APIUser?, _ json: String, session: String? = nil, on client: TestApp.Client) async throws -> TestApp.Reply {
        var headers = ["Accept": "application/json, text/event-stream"]
        if let user { headers["Authorization"] = "Bearer \(user.token)" }
        if let session { headers["Mcp-Session-Id"] = session }
        return try await client.request(.post, "/mcp", json: json, headers: headers, origin: nil)
    }

    @Test("no token: 401 with WWW-Authenticate and the /api error body") func needsToken() async throws {
        try await TestApp.run { client, _ in
            let reply = try await Self.post(nil, Self.initialize, on: client)
            #expect(reply.status == 401)
            #expect(reply.headers[HTTPField.Name("WWW-Authenticate")!] == #"Bearer error="invalid_token""#)
            #expect(reply.code == "UNAUTHORIZED")
            let bad = try await client.request(.post, "/mcp", json: Self.initialize, headers: ["Authorization": "Bearer a.b.c"], origin: nil)
            #expect(bad.status == 401)
            #expect(bad.code == "INVALID_TOKEN")
        }
    }

    @Test("a session answers only its own user, and expires when idle") func sessionBinding() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.direct(client, app, "a@x.io")
            let b = try await APIUser.direct(client, app, "b@x.io")
            let opened = try await Self.post(a, Self.initialize, on: client)
            #expect(opened.status == 200)
            let session = opened.headers[HTTPField.Name("Mcp-Session-Id")!] ?? ""
            #expect(session.count == 32)
            let mine = try await Self.post(a, Self.listTools, session: session, on: client)
            #expect(mine.status == 200)
            for tool in AssistantTool.all { #expect(mine.text.contains("\"\(tool.name)\""), "\(tool.name)") }
            let foreign = try await Self.post(b, Self.listTools, session: session, on: client)
            let unknown = try await Self.post(b, Self.listTools, session: String(repeating: "x", count: 32), on: client)
            #expect(foreign.status == 404)
            #expect(foreign.text == unknown.text)
            app.clock.advance(by: 31 * 60)
            let expired = try await Self.post(a, Self.listTools, session: session, on: client)
            #expect(expired.status == 404)
        }
    }

    /// Two replicas (two pools, one database) behind a balancer with no stickiness.
    static func twoReplicas(_ body: @escaping @Sendable (TestApp.Client, TestApp, TestApp.Client, TestApp) async throws -> Void) async throws {
        try await TestDatabase.withTwoHandles { one, two in
            let clock = ManualClock()
            func replica(_ db: any Database) -> TestApp {
                let mailer = TestMailbox()
                return TestApp(services: AppServices.make(configuration: TestApp.configuration(), database: db, clock: clock, mailTransport: mailer.transport,
                                                          logger: TestDatabase.logger), clock: clock, mailer: mailer)
            }
            let (first, second) = (replica(one), replica(two))
            defer { Task { await first.services.hashingPool.shutdown(); await second.services.hashingPool.shutdown() } }
            try await buildApplication(services: first.services).test(.router) { c1 in
                try await buildApplication(services: second.services).test(.router) { c2 in
                    try await body(TestApp.Client(inner: c1), first, TestApp.Client(inner: c2), second)
                }
            }
        }
    }

    @Test("a session opened on one replica is served by the other, and one DELETE ends it on both") func acrossReplicas() async throws {
        try await Self.twoReplicas { one, appOne, two, _ in
            let a = try await APIUser.direct(one, appOne, "a@x.io")
            let b = try await APIUser.direct(one, appOne, "b@x.io")
            let opened = try await Self.post(a, Self.initialize, on: one)
            #expect(opened.status == 200)
            let session = opened.headers[HTTPField.Name("Mcp-Session-Id")!] ?? ""

            // Replica two has never seen the session: it takes it over from the registry.
            let tools = try await Self.post(a, Self.listTools, session: session, on: two)
            #expect(tools.status == 200)
            #expect(tools.text.contains("\"add_task\""))
            let add = #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add_task","arguments":{"title":"from replica two"}}}"#
            let added = try await Self.post(a, add, session: session, on: two)
            #expect(added.status == 200)
            #expect(added.text.contains("from replica two"))
            let list = #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"list_tasks","arguments":{}}}"#
            #expect(try await Self.post(a, list, session: session, on: one).text.contains("from replica two"))
            // Still bound to its user on both replicas.
            #expect(try await Self.post(b, Self.listTools, session: session, on: two).status == 404)

            // Ended through replica two: replica one's copy is refused too.
            let ended = try await two.request(.delete, "/mcp", headers: ["Authorization": "Bearer \(a.token)", "Mcp-Session-Id": session], origin: nil)
            #expect(ended.status == 200)
            #expect(try await Self.post(a, Self.listTools, session: session, on: one).status == 404)
            #expect(try await Self.post(a, Self.listTools, session: session, on: two).status == 404)
        }
    }
}
