import Foundation
import HTTPTypes
import StoaCore
import Testing
@testable import StoaServer

/// `/api` bodies are `Decodable` types read through `APIRequestDecoder`: absent, `null` and a
/// value are told apart, and every refusal is a 400 (or 413/415) that names the field.
@Suite struct RequestBodyTests {
    @Test("typed bodies: required, wrong type, null, unknown field, impossible date — each named; clearing works")
    func refusals() async throws {
        try await TestApp.run { client, app in
            let user = try await APIUser.direct(client, app, "a@x.io")
            let cases: [(HTTPRequest.Method, String, String, Int, String)] = [
                (.post, "/api/tasks", "{}", 400, "title is required"),
                (.post, "/api/tasks", #"{"title":null}"#, 400, "title is required"),
                (.post, "/api/tasks", #"{"title":5}"#, 400, "title must be a string, not number"),
                (.post, "/api/tasks", #"{"title":"   "}"#, 400, "title must not be empty"),
                (.post, "/api/tasks", #"{"title":"x","owner":"b"}"#, 400, "owner is not a field of this request"),
                (.post, "/api/tasks", #"{"title":"x","dueAt":"2026-02-30"}"#, 400, "dueAt must be an ISO-8601 date"),
                (.post, "/api/tasks", #"{"title":"x","dueAt":7}"#, 400, "dueAt must be a string, not number"),
                (.post, "/api/tasks", #"["title"]"#, 400, "the body must be a JSON object"),
                (.post, "/api/conversations", #"{"title":"\#(String(repeating: "x", count: 201))"}"#, 400, "title must be at most 200 characters"),
                (.post, "/api/feedback", #"{"message_id":"x"}"#, 400, "rating is required"),
                (.post, "/api/chat", #"{"query":"hi","session_id":null}"#, 400, "session_id must be a string, not null"),
            ]
            for (method, path, body, status, message) in cases {
                let reply = try await user.call(method, path, body)
                #expect(reply.status == status, "\(path) \(body)")
                #expect(reply.code == "VALIDATION_ERROR", "\(path) \(body)")
                #expect(reply.message?.hasPrefix(message) == true, "\(path) \(body) → \(reply.message ?? "nil")")
            }
            let text = try await user.call(.post, "/api/tasks", #"{"title":"x"}"#, contentType: "text/plain")
            #expect(text.status == 415)
            // The media type is read before any parameter, in any case; nothing else passes as JSON.
            for type in ["application/json; charset=utf-8", "Application/JSON", " application/json ;charset=UTF-8;x=y", "application/json;"] {
                #expect(try await user.call(.post, "/api/tasks", #"{"title":"x"}"#, contentType: type).status == 201, "\(type)")
            }
            for type in ["application/jsonx", "application/json-patch+json", ";application/json", "text/json; x=application/json", ""] {
                #expect(try await user.call(.post, "/api/tasks", #"{"title":"x"}"#, contentType: type).status == 415, "\(type)")
            }
            // Every field name of a body, and names close to them, against the body's list.
            let near = try await user.call(.post, "/api/chat", #"{"query":"hi","session_ID":"x"}"#)
            #expect(near.status == 400 && near.message == "session_ID is not a field of this request", "\(near.message ?? "nil")")
            // Past the 1 MiB cap: 413, not a 500 (the e2e hostile-input suite's 5 MiB body found it).
            for path in ["/api/conversations", "/api/tasks"] {
                let huge = try await user.call(.post, path, #"{"title":""# + String(repeating: "x", count: 5 << 20) + #""}"#)
                #expect(huge.status == 413, "\(path)")
                #expect(huge.code == "PAYLOAD_TOO_LARGE", "\(path)")
            }

            // PATCH: absent leaves a field, null clears a clearable one, null on a flag is refused.
            let created = try await user.call(.post, "/api/tasks", #"{"title":"  Pay rent  ","description":"to the landlord","dueAt":"2031-06-01"}"#)
            #expect(created.status == 201)
            #expect(created.json?["title"] == .string("Pay rent"))
            let id = try #require(created.json?["id"]?.stringValue)
            let cleared = try await user.call(.patch, "/api/tasks/\(id)", #"{"description":null}"#)
            #expect(cleared.json?["description"] == .null)
            #expect(cleared.json?["title"] == .string("Pay rent"))
            #expect(cleared.json?["dueAt"] == .string("2031-06-01T00:00:00.000Z"))
            let badFlag = try await user.call(.patch, "/api/tasks/\(id)", #"{"completed":null}"#)
            #expect(badFlag.status == 400)
            #expect(badFlag.message == "completed must be true or false, not null")
            let wrongType = try await user.call(.patch, "/api/tasks/\(id)", #"{"completed":"yes"}"#)
            #expect(wrongType.message == "completed must be true or false, not string")
            let done = try await user.call(.patch, "/api/tasks/\(id)", #"{"completed":true,"dueAt":null}"#)
            #expect(done.json?["completed"] == .bool(true))
            #expect(done.json?["dueAt"] == .null)
            // An empty body is `{}`: a conversation with no title.
            let empty = try await user.call(.post, "/api/conversations", nil)
            #expect(empty.status == 201)
        }
    }
}
