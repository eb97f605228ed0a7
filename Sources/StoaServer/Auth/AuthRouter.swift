import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import StoaCore

/// Serves `/api/auth/*` with Better Auth's routing rules: exact paths per method, anything
/// else (unknown path, wrong method, trailing slash, `//`) is 404 with an empty body. Before
/// an endpoint runs: rate limit, body parsing (415, invalid JSON), bearer → session token,
/// origin/CSRF checks. After: the bearer plugin's `set-auth-token` header.
struct AuthRouter: RouterMiddleware {
    typealias Context = AppRequestContext
    typealias Handler = @Sendable (AuthEndpoints, AuthCall) async throws -> AuthReply

    let services: AppServices
    let endpoints: AuthEndpoints
    static let basePath = "/api/auth"

    init(services: AppServices) {
        self.services = services
        self.endpoints = AuthEndpoints(services: services)
    }

    /// Endpoints by method and exact path. `acceptsForm` marks the two that also take form posts.
    static let routes: [String: (handler: Handler, acceptsForm: Bool)] = [
        "POST /sign-up/email": ({ try await $0.signUp($1) }, true),
        "POST /sign-in/email": ({ try await $0.signIn($1) }, true),
        "POST /sign-out": ({ try await $0.signOut($1) }, false),
        "GET /get-session": ({ try await $0.getSession($1) }, false),
        "POST /get-session": ({ _, _ in throw StoaError(status: 405, code: "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
                                                          message: "POST method requires deferSessionRefresh to be enabled in session config") }, false),
        "GET /list-sessions": ({ try await $0.listSessions($1) }, false),
        "POST /revoke-session": ({ try await $0.revokeSession($1) }, false),
        "POST /revoke-sessions": ({ try await $0.revokeSessions($1) }, false),
        "POST /revoke-other-sessions": ({ try await $0.revokeOtherSessions($1) }, false),
        "POST /update-user": ({ try await $0.updateUser($1) }, false),
        "POST /change-password": ({ try await $0.changePassword($1) }, false),
        "POST /delete-user": ({ try await $0.deleteUser($1) }, false),
        "POST /request-password-reset": ({ try await $0.requestPasswordReset($1) }, false),
        "POST /reset-password": ({ try await $0.resetPassword($1) }, false),
        "GET /ok": ({ _, _ in AuthReply(.object([("ok", .bool(true))])) }, false),
        "GET /jwks": ({ try await $0.jwks($1) }, false),
        "GET /token": ({ try await $0.token($1) }, false),
        "GET /error": ({ try await $0.errorPage($1) }, false),
    ]

    /// Every auth route, for documentation and tests.
    static var routeKeys: [String] { routes.keys.sorted() + ["GET /reset-password/:token"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let rawPath = request.uri.path
        guard rawPath == Self.basePath || rawPath.hasPrefix(Self.basePath + "/") else {
            return try await next(request, context)
        }
        let path = String(rawPath.dropFirst(Self.basePath.count))
        let key = "\(request.method.rawValue) \(path)"
        var route = Self.routes[key]
        var pattern = path   // the route pattern: rate-limit keys never hold a raw token
        if route == nil, request.method == .get, path.hasPrefix("/reset-password/") {
            let token = path.dropFirst("/reset-password/".count)
            if !token.isEmpty, !token.contains("/") {
                route = ({ endpoints, call in try await endpoints.resetPasswordRedirect(call, token: String(token)) }, false)
                pattern = "/reset-password/:token"
            }
        }
        guard let route else { return .error(.notFoundEmpty) }

        let client = AuthService.Client(
            ipAddress: services.clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor]),
            userAgent: request.headers[.userAgent])
        if let limiter = services.rateLimiter {
            if case .denied(let retryAfter) = try await limiter.check(ip: client.ipAddress, route: pattern) {
                var response = Response.json(.object([("message", .string("Too many requests. Please try again later."))]), status: .tooManyRequests)
                response.headers[.xRetryAfter] = String(retryAfter)
                return response
            }
        }

        let body = try await readBody(request, acceptsForm: route.acceptsForm)
        let call = makeCall(request, path: path, body: body, client: client)
        try OriginCheck(policy: services.origins, disabled: services.configuration.disableOriginCheck).check(call)

        let reply = try await route.handler(endpoints, call)
        return makeResponse(reply)
    }

    // MARK: - Request

    func readBody(_ request: Request, acceptsForm: Bool) async throws -> [(String, JSONValue)] {
        guard request.method != .get, request.method != .head else { return [] }
        guard let bytes = try await request.collectBodyData() else { return [] }
        switch request.mediaType {
        case "application/json":
            let value: JSONValue
            do {
                value = try JSONValue.parseOrThrow(bytes, limits: .request)
            } catch .invalid {
                throw StoaError(status: 400, code: "BAD_REQUEST", message: "Invalid JSON in request body")
            } catch {
                throw StoaError(status: 400, code: "BAD_REQUEST", message: "Invalid request body: \(error)")
            }
            guard case .object(let pairs) = value else {
                throw StoaError(status: 400, code: "BODY_MUST_BE_AN_OBJECT", message: "Body must be an object")
            }
            return pairs
        case "application/x-www-form-urlencoded" where acceptsForm:
            do {
                return try FormURLEncoded.parse(bytes).map { ($0.0, .string($0.1)) }
            } catch {
                throw StoaError(status: 400, code: "BAD_REQUEST", message: "Invalid request body: more than \(error.limit) fields")
            }
        default:
            let allowed = acceptsForm ? "application/json, application/x-www-form-urlencoded" : "application/json"
            throw StoaError(status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Unsupported media type. Allowed types: \(allowed)")
        }
    }

    func makeCall(_ request: Request, path: String, body: [(String, JSONValue)], client: AuthService.Client) -> AuthCall {
        let cookies = request.headers[.cookie].map(AuthCookies.parse) ?? [:]
        var token = services.cookies.sessionToken(from: cookies)
        // Bearer plugin: a valid bearer value stands in for the session cookie; an invalid one is ignored.
        if let authorization = request.headers[.authorization], authorization.count > 7,
           authorization.prefix(7).lowercased() == "bearer " {
            let value = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
            if value.contains(".") {
                if let unsigned = services.cookies.signer.unsign(value) { token = unsigned }
            } else if !value.isEmpty, value.count <= 256 {
                token = value
            }
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        return AuthCall(method: request.method, path: path, query: query, headers: request.headers, cookies: cookies,
                        sessionToken: token, dontRemember: services.cookies.dontRemember(from: cookies), body: body, client: client)
    }

    // MARK: - Response

    func makeResponse(_ reply: AuthReply) -> Response {
        var headers = HTTPFields()
        for (name, value) in reply.headers { headers.append(HTTPField(name: name, value: value)) }
        for line in reply.setCookies { headers.append(HTTPField(name: .setCookie, value: line)) }
        if let token = reply.issuedSessionToken {
            headers[.setAuthToken] = services.cookies.signer.signedValue(token)
        }
        if reply.issuedSessionToken != nil || reply.headers.contains(where: { $0.0 == .setAuthJWT }) {
            headers[.accessControlExposeHeaders] = [reply.issuedSessionToken != nil ? "set-auth-token" : nil,
                                                    reply.headers.contains(where: { $0.0 == .setAuthJWT }) ? "set-auth-jwt" : nil]
                .compactMap { $0 }.joined(separator: ", ")
        }
        if let html = reply.html {
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: reply.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        guard let body = reply.body else { return Response(status: reply.status, headers: headers) }
        return .json(body, status: reply.status, headers: headers)
    }
}

extension HTTPField.Name {
    static let setAuthToken = HTTPField.Name("set-auth-token")!
    static let setAuthJWT = HTTPField.Name("set-auth-jwt")!
    static let xRetryAfter = HTTPField.Name("X-Retry-After")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let secFetchMode = HTTPField.Name("Sec-Fetch-Mode")!
}
