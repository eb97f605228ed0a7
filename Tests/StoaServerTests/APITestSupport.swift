import Conversations
import Foundation
import Identity
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

    /// A user with a session made directly in storage (no password hashing, for timing-sensitive tests).
    static func direct(_ client: TestApp.Client, _ app: TestApp, _ email: String) async throws -> APIUser {
        let now = app.clock.now()
        let id = RandomID.generate()
        try await app.services.auth.store.createUser(
            User(id: id, name: "T", email: email, emailVerified: false, image: nil, createdAt: now, updatedAt: now),
            account: Account(id: RandomID.generate(), accountId: id, providerId: "credential", issuer: "local:credential", userId: id,
                             password: CompatibilityTests.vectorHash, createdAt: now, updatedAt: now))
        let session = try await app.services.auth.createSession(userID: id, remember: true, client: .init(ipAddress: nil, userAgent: nil))
        return APIUser(client: client, id: id, token: session.token)
    }

    func createConversation(_ title: String = "") async throws -> String {
        let reply = try await call(.post, "/api/conversations", #"{"title":"\#(title)"}"#)
        return reply.json?["id"]?.stringValue ?? ""
    }
}
