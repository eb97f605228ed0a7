import Foundation
import StoaCore
import Testing

/// Every auth route gets hostile input; each answer is a 4xx with Better Auth's error shape,
/// never a 500, and the server keeps serving.
@Suite struct BadInputTests {
    static let postRoutes = ["/sign-up/email", "/sign-in/email", "/sign-out", "/revoke-session", "/revoke-sessions",
                             "/revoke-other-sessions", "/update-user", "/change-password", "/request-password-reset", "/reset-password"]

    static let bodies: [(String, [UInt8])] = {
        var bodies: [(String, [UInt8])] = [
            ("malformed JSON", Array(#"{"email":"#.utf8)),
            ("array body", Array("[1,2,3]".utf8)),
            ("string body", Array(#""hello""#.utf8)),
            ("wrong types", Array(#"{"name":1,"email":true,"password":[],"token":{},"newPassword":null,"currentPassword":5,"rememberMe":"maybe","image":7}"#.utf8)),
            ("missing fields", Array("{}".utf8)),
            ("NUL bytes", Array(#"{"name":"a\u0000b","email":"a\u0000@x.io","password":"pass\u0000word123","token":"\u0000"}"#.utf8)),
            ("raw NUL", [0x7b, 0x00, 0x7d]),
            ("non-UTF-8", [0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
            ("10k-char email", Array(#"{"name":"n","email":"\#(String(repeating: "a", count: 10_000))@x.io","password":"password123","token":"t","newPassword":"password123","currentPassword":"password123"}"#.utf8)),
            ("deep nesting", Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8)),
            ("huge number", Array(#"{"email":1e400,"password":-1e400}"#.utf8)),
        ]
        bodies.append(("1 MiB+ body", Array(#"{"name":""#.utf8) + [UInt8](repeating: 0x61, count: (1 << 20) + 10) + Array(#""}"#.utf8)))
        return bodies
    }()

    @Test("hostile bodies on every POST route answer 4xx with {message, code}") func sweep() async throws {
        try await TestApp.run { client, _ in
            let signed = try await client.signUp()
            for route in Self.postRoutes {
                for withSession in [false, true] {
                    for (label, body) in Self.bodies {
                        let headers = withSession ? ["Cookie": signed.cookie] : [:]
                        let reply = try await client.request(.post, "/api/auth" + route, headers: headers, rawBody: body)
                        let context = "\(route) \(label) session=\(withSession) → \(reply.status) \(reply.text.prefix(200))"
                        if route == "/sign-out" || route == "/revoke-sessions" || route == "/revoke-other-sessions" {
                            // These take no body fields; a parseable body may succeed.
                            #expect(reply.status < 500, "\(context)")
                        } else {
                            #expect((400..<500).contains(reply.status), "\(context)")
                        }
                        if reply.status >= 400 {
                            #expect(reply.message != nil, "\(context)")
                        }
                    }
                }
            }
            // Bad query strings and headers.
            for uri in ["/api/auth/get-session?disableRefresh=%ZZ", "/api/auth/reset-password/%00?callbackURL=%00",
                        "/api/auth/reset-password/x", "/api/auth/error?error=" + String(repeating: "A", count: 5000)] {
                let reply = try await client.request(.get, uri)
                #expect(reply.status < 500, "\(uri) → \(reply.status)")
            }
            for auth in ["Bearer", "Bearer ", "Bearer \u{7f}", "Basic abc", "Bearer " + String(repeating: "x.", count: 4000), "Bearer a.b%ZZ"] {
                let reply = try await client.get("/get-session", headers: ["Authorization": auth])
                #expect(reply.status == 200, "\(auth.prefix(20))")
            }
            for cookie in ["better-auth.session_token=%", "better-auth.session_token=..;;;", String(repeating: "a=b; ", count: 1000)] {
                let reply = try await client.get("/get-session", headers: ["Cookie": cookie])
                #expect(reply.status == 200)
            }
            // The server still serves.
            #expect(try await client.get("/ok").status == 200)
            #expect(try await client.signIn().reply.status == 200)
        }
    }
}
