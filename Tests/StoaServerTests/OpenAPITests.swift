import Foundation
import Hummingbird
import StoaCore
import StoaTestSupport
import Testing
@testable import StoaServer

/// `/openapi.json` and the router describe the same API: every `/api` route is in the document
/// and every operation in the document is a route, for each role.
@Suite struct OpenAPITests {
    /// `METHOD /path` for every operation of an OpenAPI document.
    static func operations(_ document: JSONValue) -> Set<String> {
        guard case .object(let paths)? = document["paths"] else { return [] }
        var result = Set<String>()
        for (path, item) in paths {
            guard case .object(let members) = item else { continue }
            for (key, _) in members where ["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(key) {
                result.insert("\(key.uppercased()) \(path)")
            }
        }
        return result
    }

    @Test("the document and the router list the same /api routes, both ways, in every role", arguments: ServerRole.allCases)
    func matchesRouter(_ role: ServerRole) async throws {
        try await TestApp.run({ $0.role = role }) { _, app in
            let router = buildRouter(services: app.services)
            let routes = Set(router.routes.filter { $0.method != .head && $0.path.description.hasPrefix("/api") }
                .map { "\($0.method.rawValue) \($0.path.description)" })
            let documented = Self.operations(OpenAPIRoutes.document(for: role))
            #expect(!routes.isEmpty)
            #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.json")
            #expect(documented.subtracting(routes).sorted() == [], "operations in openapi.json that no route serves")
        }
    }

    @Test("GET /openapi.json: OpenAPI 3.1 JSON, unique operation ids, the error shapes and both security schemes")
    func served() async throws {
        try await TestApp.run { client, _ in
            let reply = try await client.request(.get, "/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/json")
            let document = try #require(reply.json)
            #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
            guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
            var ids: [String] = []
            for (path, item) in paths {
                guard case .object(let members) = item else { continue }
                for (method, operation) in members where operation["responses"] != nil {
                    ids.append(operation["operationId"]?.stringValue ?? "")
                    // Every /api operation (but the auth routes) needs a credential.
                    if !path.hasPrefix("/api/auth/") {
                        #expect(operation["security"] != .array([]), "\(method) \(path) is documented as public")
                    }
                }
            }
            #expect(!ids.contains(""))
            #expect(Set(ids).count == ids.count)
            #expect(document["components"]?["securitySchemes"]?["bearerJWT"] != nil)
            #expect(document["components"]?["securitySchemes"]?["sessionCookie"] != nil)
            #expect(Self.operations(document) == Self.operations(OpenAPIRoutes.full))
        }
    }
}
