import Foundation
import HTTPTypes
import Identity
import Logging
import StoaCore
import Synchronization
import Testing
@testable import StoaServer

/// `STOA_LOG_FORMAT=json`: one JSON object a line, a line per request with its id, route
/// pattern, status, duration and user; `X-Request-Id` echoed; no secret ever in a line.
@Suite struct RequestLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func logger() -> Logger {
            Logger(label: "stoa") { label in
                var handler = JSONLogHandler(label: label) { line in self.lines.withLock { $0.append(line) } }
                handler.logLevel = .info
                return handler
            }
        }
    }

    @Test("request lines: id, route pattern, status, duration, user; the id is echoed; no token, password, cookie or reset link")
    func requestLines() async throws {
        let lines = Lines()
        try await TestApp.run({ $0.logFormat = "json" }, logger: lines.logger()) { client, app in
            let signed = try await client.signUp(password: "correct horse battery")
            let jwt = try #require(try await client.get("/token", headers: ["Authorization": "Bearer \(signed.token)"]).json?["token"]?.stringValue)
            let me = try await client.request(.get, "/api/me", headers: ["Authorization": "Bearer \(jwt)", "X-Request-Id": "from-a-client-1"])
            #expect(me.status == 200)
            let echoed = try #require(me.headers[HTTPField.Name("X-Request-Id")!])
            // The peer is no trusted proxy (in-process: none at all), so its id is not taken.
            #expect(echoed != "from-a-client-1" && echoed.count == 16)
            _ = try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#)
            let link = try #require(await app.mailer.sent(atLeast: 1).first?.url)
            let resetToken = String(try #require(link.split(separator: "/").last?.split(separator: "?").first))
            _ = try await client.request(.get, "/api/auth/reset-password/\(resetToken)")
            #expect(try await client.request(.get, "/api/nowhere").status == 404)

            let all = lines.all
            let objects = all.compactMap { JSONValue.parse(Data($0.utf8)) }
            #expect(objects.count == all.count, "every line is one JSON object")
            for object in objects {
                #expect(object["time"]?.stringValue?.hasSuffix("Z") == true && object["level"] != nil && object["message"] != nil)
            }
            let requests = objects.filter { $0["message"] == .string("request") }
            let meLine = try #require(requests.first { $0["route"] == .string("/api/me") })
            #expect(meLine["request_id"] == .string(echoed))
            #expect(meLine["status"] == .number(200) && meLine["method"] == .string("GET"))
            #expect(meLine["user_id"] == .string(signed.userID))
            if case .number(let ms)? = meLine["duration_ms"] { #expect(ms >= 0) } else { Issue.record("duration_ms is not a number") }
            #expect(requests.contains { $0["route"] == .string("/api/auth/reset-password/{token}") })
            // An unknown path is logged under Hummingbird's pattern for it, not as the path itself.
            #expect(requests.contains { $0["route"] == .string("NotFound") && $0["status"] == .number(404) })
            #expect(!all.contains { $0.contains("/api/nowhere") })
            let text = all.joined(separator: "\n")
            for secret in [signed.token, jwt, "correct horse battery", resetToken, signed.cookie] where !secret.isEmpty {
                #expect(!text.contains(secret), "a secret reached the log")
            }
        }
    }

    @Test("text format: no line per request, but the id is still echoed")
    func textFormat() async throws {
        let lines = Lines()
        try await TestApp.run(logger: lines.logger()) { client, _ in
            let reply = try await client.request(.get, "/healthz")
            #expect(reply.headers[HTTPField.Name("X-Request-Id")!]?.count == 16)
            #expect(!lines.all.contains { $0.contains(#""message":"request""#) })
        }
    }

    @Test("X-Request-Id is taken only from a trusted proxy, and only when it is a plain token of at most 128 characters")
    func requestIDs() {
        let proxies = ClientAddress(trustedProxies: ["loopback"])
        #expect(RequestLogMiddleware.requestID(offered: "abc-123_x.y:z", peer: "127.0.0.1", clientAddress: proxies) == "abc-123_x.y:z")
        for hostile in ["", String(repeating: "a", count: 129), "a b", "a\nb", "é", "a\"b", "<script>"] {
            #expect(RequestLogMiddleware.requestID(offered: hostile, peer: "127.0.0.1", clientAddress: proxies) != hostile)
        }
        #expect(RequestLogMiddleware.requestID(offered: "abc", peer: "203.0.113.9", clientAddress: proxies) != "abc")
        #expect(RequestLogMiddleware.requestID(offered: "abc", peer: nil, clientAddress: proxies) != "abc")
    }

    @Test("JSONLogHandler: one line whatever the message holds; metadata of every shape")
    func handler() {
        let lines = Lines()
        var logger = lines.logger()
        logger[metadataKey: "request_id"] = "r1"
        logger.warning("two\nlines \"quoted\" </script>", metadata: ["list": ["a", "b"], "map": ["k": "v"], "n": "\(42)"])
        let line = try? #require(lines.all.first)
        #expect(line?.contains("\n") == false)
        let object = line.flatMap { JSONValue.parse(Data($0.utf8)) }
        #expect(object?["message"] == .string("two\nlines \"quoted\" </script>"))
        #expect(object?["level"] == .string("warning") && object?["request_id"] == .string("r1"))
        #expect(object?["list"] == .array([.string("a"), .string("b")]) && object?["map"]?["k"] == .string("v") && object?["n"] == .string("42"))
    }
}
