import Conversations
import Foundation
import Glibc
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

/// A blocking TCP socket to 127.0.0.1, for tests that need raw HTTP (a client that vanishes
/// mid-stream, a second listener). Call it on a thread of its own, never on the cooperative pool.
enum LoopbackSocket {
    /// A socket connected to `port` with a receive timeout; `connected` is `connect`'s result (0: ok).
    static func connect(port: Int, receiveTimeout seconds: Int) -> (fd: Int32, connected: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return (fd, connected)
    }
}
