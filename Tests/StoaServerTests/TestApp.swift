import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import NIOCore
import StoaCore
import StoaServer
import StoaTestSupport
import Storage

/// Builds Stoa against a throwaway database the way contract §11 sets it up:
/// base URL `http://localhost:3000`, a known secret, rate limiting off (the per-user turn
/// limit too), a manual clock.
struct TestApp {
    static let secret = "better-auth-secret-12345678901234567890"
    static let origin = "http://localhost:3000"

    let services: AppServices
    let clock: ManualClock
    /// The mails the app's worker delivered.
    let mailer: TestMailbox
    var database: any Database { services.database }

    static func configuration(_ modify: (inout StoaConfiguration) -> Void = { _ in }) -> StoaConfiguration {
        var config = StoaConfiguration()
        config.baseURL = origin
        config.secrets = [secret]
        config.rateLimit.enabled = false
        config.rateLimit.userTurnsPerMinute = 0
        config.hashThreads = 2
        config.hashQueueLimit = 256
        // Live tests keep one client connection between requests. Under the full parallel suite a
        // test can be starved for seconds between two requests, and the 10 s default (the time a
        // kept-alive connection has to send its next head) then closed it under the test ("I/O on
        // closed channel"). The limit itself is tested end to end (test_hostile_input.py).
        config.server.headerTimeout = 300
        modify(&config)
        return config
    }

    /// Runs `body` with an in-process client against a fresh database.
    static func run(
        _ modify: @escaping @Sendable (inout StoaConfiguration) -> Void = { _ in },
        model: (any ChatModel)? = nil,
        live: Bool = false,
        logger: Logger? = nil,
        _ body: @escaping @Sendable (Client, TestApp) async throws -> Void
    ) async throws {
        try await TestDatabase.with { db in
            let clock = ManualClock()
            let mailer = TestMailbox()
            var services = AppServices.make(configuration: configuration { config in
                modify(&config)
                if live { config.port = 0 }
            }, database: db, clock: clock, mailTransport: mailer.transport, logger: logger ?? TestDatabase.logger)
            if let model { services.chatModel = model }
            // The mail worker wakes for every mail queued in-process; no polling in between, so it
            // does no database work a test did not cause (the metrics test reads the in-flight gauge).
            services.mailPollInterval = .seconds(3600)
            let testApp = TestApp(services: services, clock: clock, mailer: mailer)
            let app = buildApplication(services: services)
            do {
                try await app.test(live ? .live : .router) { client in try await body(Client(inner: client), testApp) }
            } catch {
                await services.hashingPool.shutdown()
                throw error
            }
            await services.hashingPool.shutdown()
        }
    }

    /// A thin client with JSON helpers; sends `Origin: http://localhost:3000` unless told otherwise.
    struct Client: Sendable {
        let inner: any TestClientProtocol

        @discardableResult
        func request(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers: [String: String] = [:],
                     origin: String? = TestApp.origin, contentType: String? = "application/json", rawBody: [UInt8]? = nil) async throws -> Reply {
            var fields = HTTPFields()
            if let origin { fields[.origin] = origin }
            if json != nil || rawBody != nil, let contentType { fields[.contentType] = contentType }
            for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            var body: ByteBuffer? = nil
            if let json { body = ByteBuffer(string: json) }
            if let rawBody { body = ByteBuffer(bytes: rawBody) }
            let response = try await inner.executeRequest(uri: uri, method: method, headers: fields, body: body)
            return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }

        func post(_ path: String, _ json: String = "{}", headers: [String: String] = [:], origin: String? = TestApp.origin) async throws -> Reply {
            try await request(.post, "/api/auth" + path, json: json, headers: headers, origin: origin)
        }

        func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
            try await request(.get, "/api/auth" + path, headers: headers)
        }

        /// Signs up and returns the reply, the token and a `Cookie` header value.
        func signUp(email: String = "a@x.io", password: String = "password123", name: String = "A", extra: String = "") async throws -> Signed {
            let reply = try await post("/sign-up/email", #"{"name":"\#(name)","email":"\#(email)","password":"\#(password)"\#(extra)}"#)
            return Signed(reply: reply)
        }

        func signIn(email: String = "a@x.io", password: String = "password123", extra: String = "") async throws -> Signed {
            Signed(reply: try await post("/sign-in/email", #"{"email":"\#(email)","password":"\#(password)"\#(extra)}"#))
        }
    }

    struct Signed {
        let reply: Reply
        var token: String { reply.json?["token"]?.stringValue ?? "" }
        var userID: String { reply.json?["user"]?["id"]?.stringValue ?? "" }
        /// The `Cookie` header a browser would send back.
        var cookie: String { reply.cookieHeader }
    }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPFields
        let text: String
        var json: JSONValue? { JSONValue.parse(Data(text.utf8)) }
        var code: String? { json?["code"]?.stringValue }
        var message: String? { json?["message"]?.stringValue }
        var setCookies: [String] { headers[values: .setCookie] }
        func setCookie(named name: String) -> String? { setCookies.first { $0.hasPrefix(name + "=") } }
        /// `name=value` pairs of live cookies, joined as a `Cookie` header.
        var cookieHeader: String {
            setCookies.compactMap { line -> String? in
                guard !line.contains("Max-Age=0") else { return nil }
                return line.split(separator: ";").first.map(String.init)
            }.joined(separator: "; ")
        }
    }
}
