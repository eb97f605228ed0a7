import Foundation
import HTTPTypes
import StoaCore
import StoaTestSupport
import Testing
@testable import StoaServer
#if canImport(Glibc)
import Glibc
#endif

/// `STOA_METRICS`: Prometheus text at `/metrics` (or on a port of its own), with request
/// counts by route pattern, sign-ins by outcome, rate-limit refusals, chat turns, model rounds
/// and the sampled gauges. Each test's application has its own registry. One test at a time:
/// on PostgreSQL the whole suite already runs close to the server's connection limit.
@Suite(.serialized) struct MetricsTests {
    /// The value of one series (`name{labels}` exactly as rendered), or nil when it is absent.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func http(_ route: String, _ method: String, _ status: Int) -> String {
        #"stoa_http_requests_total{route="\#(route)",method="\#(method)",status="\#(status)"}"#
    }

    static func scrape(_ client: TestApp.Client) async throws -> String {
        let reply = try await client.request(.get, "/metrics", origin: nil)
        #expect(reply.status == 200)
        #expect(reply.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        return reply.text
    }

    @Test("off (the default): /metrics is a 404 like any unknown route, and nothing is recorded") func off() async throws {
        try await TestApp.run { client, app in
            let reply = try await client.request(.get, "/metrics")
            #expect(reply.status == 404 && reply.code == "NOT_FOUND")
            #expect(app.services.metrics == nil)
        }
    }

    @Test("on: every family in the text format, the gauges read at scrape time") func families() async throws {
        // Audit retention off: its first sweep at start-up would be a database operation in flight.
        try await TestApp.run({ $0.metrics.enabled = true; $0.auditRetentionDays = 0 }) { client, _ in
            _ = try await client.request(.get, "/healthz")
            let text = try await Self.scrape(client)
            for family in ["stoa_http_requests_total", "stoa_http_request_duration_seconds", "stoa_sign_ins_total", "stoa_rate_limit_refusals_total",
                           "stoa_chat_turns_total", "stoa_model_request_duration_seconds", "stoa_model_errors_total", "stoa_db_operations_in_flight",
                           "stoa_password_hash_in_flight", "stoa_password_hash_queue_depth", "stoa_password_hash_refusals_total",
                           "stoa_http_open_connections", "stoa_http_max_connections", "stoa_mcp_sessions_open"] {
                #expect(text.contains("# TYPE \(family) "), "missing \(family)")
            }
            #expect(Self.value(Self.http("/healthz", "GET", 200), in: text) == 1)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="invalid_credentials"}"#, in: text) == 0)
            #expect(Self.value("stoa_http_max_connections", in: text) == 4096)
            #expect(Self.value("stoa_mcp_sessions_open", in: text) == 0)
            // The request that scrapes is still in flight, so the database gauge reads what is running: nothing.
            #expect(Self.value("stoa_db_operations_in_flight", in: text) == 0)
            let dbFamily = TestDatabase.dialect == .postgres ? "stoa_db_pool_max_connections" : "stoa_db_sqlite_reader_connections"
            #expect(text.contains("# TYPE \(dbFamily) gauge"))
        }
    }

    @Test("requests are labelled with the route pattern, never the path") func routePattern() async throws {
        try await TestApp.run({ $0.metrics.enabled = true }) { client, app in
            let user = try await APIUser.direct(client, app, "a@x.io")
            let id = try await user.createConversation()
            #expect(try await user.call(.get, "/api/conversations/\(id)").status == 200)
            #expect(try await user.call(.get, "/api/conversations/\(UUIDv7.generate())").status == 404)
            _ = try await client.post("/sign-up/email", #"{"name":"B","email":"b@x.io","password":"password123"}"#)
            _ = try await client.request(.get, "/api/auth/reset-password/sometoken123?callbackURL=/reset")
            let text = try await Self.scrape(client)
            #expect(Self.value(Self.http("/api/conversations/{id}", "GET", 200), in: text) == 1)
            #expect(Self.value(Self.http("/api/conversations/{id}", "GET", 404), in: text) == 1)
            #expect(Self.value(Self.http("/api/conversations", "POST", 201), in: text) == 1)
            #expect(Self.value(Self.http("/api/auth/sign-up/email", "POST", 200), in: text) == 1)
            #expect(Self.value(Self.http("/api/auth/reset-password/{token}", "GET", 302), in: text) == 1)
            #expect(!text.contains(id) && !text.contains("sometoken123"))
            #expect(text.contains(#"stoa_http_request_duration_seconds_count{route="/api/conversations/{id}",method="GET",status="200"} 1"#))
        }
    }

    @Test("hostile paths and methods mint no new label values") func boundedLabels() async throws {
        try await TestApp.run({ $0.metrics.enabled = true }) { client, app in
            let metrics = try #require(app.services.metrics)
            _ = try await client.request(.get, "/nowhere/warmup")
            _ = try await client.request(.get, "/api/auth/nowhere-warmup")
            let before = metrics.http.seriesCount
            for i in 0..<40 {
                _ = try await client.request(.get, "/nowhere/\(i)-\(RandomID.generate(8))")
                _ = try await client.request(.get, "/api/auth/x\(i)/\(RandomID.generate(8))")
                _ = try await client.request(.get, "/assets/../../etc/passwd\(i)")
            }
            _ = try await client.request(HTTPRequest.Method("PROPFIND")!, "/nowhere")
            _ = try await client.request(HTTPRequest.Method("BREW")!, "/api/auth/sign-in/email")
            let text = try await Self.scrape(client)
            // At most: the OTHER method's 404 (and 405), the asset pattern's 404, and `/metrics` itself.
            #expect(metrics.http.seriesCount <= before + 4, "\(metrics.http.seriesCount - before) new label sets")
            #expect(!text.contains("nowhere") && !text.contains("passwd") && !text.contains("PROPFIND") && !text.contains("BREW"))
            #expect((Self.value(Self.http("NotFound", "GET", 404), in: text) ?? 0) >= 80)
        }
    }

    @Test("sign-ins by outcome; auth rate-limit refusals by route pattern") func signIns() async throws {
        try await TestApp.run({ $0.metrics.enabled = true }) { client, _ in
            #expect(try await client.signUp(email: "a@x.io", password: "password123").reply.status == 200)
            #expect(try await client.signIn(email: "a@x.io", password: "wrong-password").reply.status == 401)
            #expect(try await client.signIn(email: "nobody@x.io", password: "password123").reply.status == 401)
            #expect(try await client.signIn(email: "a@x.io", password: "password123").reply.status == 200)
            #expect(try await client.post("/sign-in/email", #"{"email":"not-an-email","password":"x"}"#).status == 400)
            let text = try await Self.scrape(client)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="success"}"#, in: text) == 1)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="invalid_credentials"}"#, in: text) == 2)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="invalid_request"}"#, in: text) == 1)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="rate_limited"}"#, in: text) == 0)
        }
        try await TestApp.run({ $0.metrics.enabled = true; $0.rateLimit.enabled = true }) { client, _ in
            for _ in 0..<3 { #expect(try await client.signIn(email: "a@x.io", password: "wrong-password").reply.status == 401) }
            #expect(try await client.signIn(email: "a@x.io", password: "wrong-password").reply.status == 429)
            let text = try await Self.scrape(client)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="invalid_credentials"}"#, in: text) == 3)
            #expect(Self.value(#"stoa_sign_ins_total{outcome="rate_limited"}"#, in: text) == 1)
            #expect(Self.value(#"stoa_rate_limit_refusals_total{rule="auth",route="/api/auth/sign-in/email"}"#, in: text) == 1)
            #expect(Self.value(#"stoa_rate_limit_refusals_total{rule="auth",route="/api/auth/sign-up/email"}"#, in: text) == 0)
        }
    }

    @Test("chat turns by outcome, model rounds by provider, turn-limit refusals") func chat() async throws {
        try await TestApp.run({ $0.metrics.enabled = true; $0.rateLimit.userTurnsPerMinute = 2 }) { client, app in
            let user = try await APIUser.direct(client, app, "a@x.io")
            let id = try await user.createConversation()
            for _ in 0..<2 {
                #expect(try await user.call(.post, "/api/conversations/\(id)/messages", #"{"content":"add a task to buy milk"}"#).status == 201)
            }
            #expect(try await user.call(.post, "/api/conversations/\(id)/messages", #"{"content":"what's on my list"}"#).status == 429)
            let text = try await Self.scrape(client)
            #expect(Self.value(#"stoa_chat_turns_total{outcome="ok"}"#, in: text) == 2)
            #expect(Self.value(#"stoa_chat_turns_total{outcome="rate_limited"}"#, in: text) == 1)
            #expect(Self.value(#"stoa_rate_limit_refusals_total{rule="user_turns",route="/api/conversations/{id}/messages"}"#, in: text) == 1)
            #expect((Self.value(#"stoa_model_request_duration_seconds_count{provider="builtin"}"#, in: text) ?? 0) >= 2)
            #expect(Self.value(#"stoa_model_errors_total{provider="builtin"}"#, in: text) == 0)
            #expect(Self.value(Self.http("/api/conversations/{id}/messages", "POST", 429), in: text) == 1)
        }
    }

    @Test("STOA_METRICS_PORT: /metrics on its own listener only; the main port answers 404") func ownPort() async throws {
        try await TestApp.run({ $0.metrics.enabled = true; $0.metrics.port = 0 }, live: true) { client, app in
            #expect(try await client.request(.get, "/metrics").status == 404)
            _ = try await client.request(.get, "/healthz")
            let metrics = try #require(app.services.metrics)
            var port: Int? = nil
            for _ in 0..<100 where port == nil {
                port = metrics.listenerPort
                if port == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let listener = try #require(port)
            let answer = await Self.get("/metrics", port: listener)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(answer.contains(Self.http("/healthz", "GET", 200) + " 1"))
            #expect(answer.contains(#"stoa_http_requests_total{route="/metrics""#) == false, "the listener's own requests are not counted")
            #expect((Self.value("stoa_http_open_connections", in: answer) ?? 0) >= 1)
            #expect(await Self.get("/healthz", port: listener).hasPrefix("HTTP/1.1 404"))
        }
    }

    /// A plain HTTP/1.1 GET on a thread of its own (blocking calls stay off the cooperative pool).
    static func get(_ path: String, port: Int) async -> String {
        await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
            Thread.detachNewThread {
                let (fd, connected) = LoopbackSocket.connect(port: port, receiveTimeout: 10)
                guard connected == 0 else { close(fd); done.resume(returning: ""); return }
                let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                _ = request.withCString { send(fd, $0, strlen($0), 0) }
                var received = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    received += buffer[0..<n]
                }
                close(fd)
                done.resume(returning: String(decoding: received, as: UTF8.self))
            }
        }
    }
}
