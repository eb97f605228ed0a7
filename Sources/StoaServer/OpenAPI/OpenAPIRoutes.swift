import Foundation
import Hummingbird
import NIOCore
import StoaCore

/// `GET /openapi.json`: the OpenAPI 3.1 description of `/api/*` and `/api/auth/*`
/// (`OpenAPI/openapi.json`, a resource). A role serves the part it answers: the auth role only
/// `/api/auth/*`, the API role everything else. `OpenAPITests` holds the document to the router
/// both ways, and schemathesis holds the server to the document (`scripts/test`).
struct OpenAPIRoutes: Sendable {
    /// The document for `role`, serialised once.
    let body: ByteBuffer

    init(role: ServerRole) {
        body = ByteBuffer(string: Self.document(for: role).serialized)
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
    }

    /// The whole description, as shipped.
    static let full: JSONValue = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url), let document = JSONValue.parse(data, limits: .trusted) else {
            preconditionFailure("OpenAPI/openapi.json is missing from the StoaServer bundle or is not JSON")
        }
        return document
    }()

    /// The description of the routes `role` serves.
    static func document(for role: ServerRole) -> JSONValue {
        guard role != .all, case .object(var top) = full, let index = top.firstIndex(where: { $0.0 == "paths" }),
              case .object(let paths) = top[index].1 else { return full }
        let keep = paths.filter { path, _ in
            let isAuth = path.hasPrefix(AuthRoutes.basePath + "/")
            return role.servesAuth ? isAuth : !isAuth
        }
        top[index] = ("paths", .object(keep))
        return .object(top)
    }
}
