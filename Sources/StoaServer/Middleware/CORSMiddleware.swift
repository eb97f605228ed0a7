import HTTPTypes
import Hummingbird
import Identity

/// CORS for the origins in `BETTER_AUTH_TRUSTED_ORIGINS`: credentials allowed, and the
/// `set-auth-token` / `set-auth-jwt` headers exposed so bearer clients can read them (and
/// `Mcp-Session-Id`, so browser-based MCP clients can keep their session).
/// Other origins get no CORS headers, so browsers keep them out.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let origins: OriginPolicy
    let trusted: [String]

    static let exposed = "set-auth-token, set-auth-jwt, mcp-session-id"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origin != "null", origins.isTrusted(url: origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowCredentials] = "true"
            headers[.accessControlAllowMethods] = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "content-type, authorization"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlAllowCredentials] = "true"
        if response.headers[.accessControlExposeHeaders] == nil {
            response.headers[.accessControlExposeHeaders] = Self.exposed
        }
        response.headers.append(HTTPField(name: .vary, value: "Origin"))
        return response
    }
}
