import Conversations
import Foundation
import HTTPTypes
import StoaCore
import Tasks

/// A signed-in API caller for tests.
struct APIUser {
    let client: TestApp.Client
    let id: String
    let token: String

    static func signUp(_ client: TestApp.Client, _ email: String) async throws -> APIUser {
        let signed = try await client.signUp(email: email)
        return APIUser(client: client, id: signed.userID, token: signed.token)
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, _ json: String? = nil, contentType: String? = "application/json") async throws -> TestApp.Reply {
        try await client.request(method, path, json: json, headers: ["Authorization": "Bearer \(token)"], contentType: contentType)
    }

    func createConversation(_ title: String = "") async throws -> String {
        let reply = try await call(.post, "/api/conversations", #"{"title":"\#(title)"}"#)
        return reply.json?["id"]?.stringValue ?? ""
    }
}
