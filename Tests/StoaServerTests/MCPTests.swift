import Assistant
import Foundation
import HTTPTypes
import StoaCore
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
}
