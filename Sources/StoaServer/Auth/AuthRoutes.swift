import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import Prometheus
import StoaCore

/// One route of `/api/auth`: its method, its path below `/api/auth` (Hummingbird's pattern
/// syntax, `{token}` for a parameter), whether it also takes form posts, and its handler.
struct AuthRoute: Sendable {
    typealias Handler = @Sendable (AuthEndpoints, AuthCall) async throws -> AuthReply
    let method: HTTPRequest.Method
    let path: String
    let acceptsForm: Bool
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, acceptsForm: Bool = false, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.acceptsForm = acceptsForm
        self.handler = handler
    }
}

/// Registers `/api/auth/*` on Hummingbird's router, one route per Better Auth endpoint, with
/// Better Auth's routing rules: exact paths per method; anything else (unknown path, wrong
/// method, `HEAD`, trailing slash, `//`) is 404 with an empty body. Before an endpoint runs:
/// rate limit (keyed by route pattern), body parsing (415, invalid JSON), bearer → session
/// token, origin/CSRF checks. After: the bearer plugin's `set-auth-token` header.
struct AuthRoutes: Sendable {
    let endpoints: AuthEndpoints
    /// Better Auth's rate limiter; nil when `STOA_RATE_LIMIT=off`.
    let rateLimiter: RateLimiter?
    /// The client's address from the socket or a trusted proxy's `X-Forwarded-For`.
    let clientAddress: ClientAddress
    let origins: OriginPolicy
    /// `STOA_DISABLE_ORIGIN_CHECK`: skips the CSRF origin check (redirect targets stay checked).
    let disableOriginCheck: Bool
    let cookies: AuthCookies
    /// Sign-ins by outcome and rate-limit refusals (nil when `STOA_METRICS` is off).
    var metrics: StoaMetrics? = nil
    static let basePath = "/api/auth"

    /// Every endpoint. The OpenAPI description and the route tests read this list too.
    static let routes: [AuthRoute] = [
        AuthRoute(.post, "sign-up/email", acceptsForm: true) { try await $0.signUp($1) },
        AuthRoute(.post, "sign-in/email", acceptsForm: true) { try await $0.signIn($1) },
        AuthRoute(.post, "sign-out") { try await $0.signOut($1) },
        AuthRoute(.get, "get-session") { try await $0.getSession($1) },
        AuthRoute(.post, "get-session") { _, _ in
            throw StoaError(status: 405, code: "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
                            message: "POST method requires deferSessionRefresh to be enabled in session config")
        },
        AuthRoute(.get, "list-sessions") { try await $0.listSessions($1) },
        AuthRoute(.post, "revoke-session") { try await $0.revokeSession($1) },
        AuthRoute(.post, "revoke-sessions") { try await $0.revokeSessions($1) },
        AuthRoute(.post, "revoke-other-sessions") { try await $0.revokeOtherSessions($1) },
        AuthRoute(.post, "update-user") { try await $0.updateUser($1) },
        AuthRoute(.post, "change-password") { try await $0.changePassword($1) },
        AuthRoute(.post, "delete-user") { try await $0.deleteUser($1) },
        AuthRoute(.post, "request-password-reset") { try await $0.requestPasswordReset($1) },
        AuthRoute(.get, "reset-password/{token}") { try await $0.resetPasswordRedirect($1) },
        AuthRoute(.post, "reset-password") { try await $0.resetPassword($1) },
        AuthRoute(.post, "send-verification-email") { try await $0.sendVerificationEmail($1) },
        AuthRoute(.get, "verify-email") { try await $0.verifyEmail($1) },
        AuthRoute(.post, "change-email") { try await $0.changeEmail($1) },
        AuthRoute(.get, "ok") { _, _ in AuthReply(.object([("ok", .bool(true))])) },
        AuthRoute(.get, "jwks") { try await $0.jwks($1) },
        AuthRoute(.get, "token") { try await $0.token($1) },
        AuthRoute(.get, "error") { try await $0.errorPage($1) },
    ]

    func register(on router: Router<AppRequestContext>) {
        let group = router.group(RouterPath(String(Self.basePath.dropFirst()))).add(middleware: BetterAuthPathRules())
        for route in Self.routes {
            // Made once per route here, so a request never looks a counter up.
            let refusals = metrics?.rateLimitRefusals(rule: "auth", route: Self.basePath + "/" + route.path)
            guard let signIns = route.path == "sign-in/email" ? metrics?.signIns : nil else {
                group.on(RouterPath(route.path), method: route.method) { request, context in
                    try await respond(request, context: context, route: route, refusals: refusals)
                }
                continue
            }
            group.on(RouterPath(route.path), method: route.method) { request, context in
                do {
                    let response = try await respond(request, context: context, route: route, refusals: refusals)
                    signIns.record(.init(status: Int(response.status.code)))
                    return response
                } catch {
                    signIns.record(.init(error: error))
                    throw error
                }
            }
        }
    }

    func respond(_ request: Request, context: AppRequestContext, route: AuthRoute, refusals: Counter? = nil) async throws -> Response {
        // The route pattern (`/reset-password/{token}`), never the raw path: rate-limit keys
        // never hold a token and their number is bounded.
        let pattern = "/" + route.path
        let client = AuthService.Client(
            ipAddress: clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor]),
            userAgent: request.headers[.userAgent])
        if let limiter = rateLimiter {
            if case .denied(let retryAfter) = try await limiter.check(ip: client.ipAddress, route: pattern) {
                refusals?.increment()
                var response = Response.json(.object([("message", .string("Too many requests. Please try again later."))]), status: .tooManyRequests)
                response.headers[.xRetryAfter] = String(retryAfter)
                return response
            }
        }

        let body = try await readBody(request, acceptsForm: route.acceptsForm)
        var parameters: [String: String] = [:]
        for (name, value) in context.parameters { parameters[String(name)] = String(value) }
        let call = makeCall(request, path: String(request.uri.path.dropFirst(Self.basePath.count)), parameters: parameters, body: body, client: client)
        try OriginCheck(policy: origins, disabled: disableOriginCheck).check(call)

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

    func makeCall(_ request: Request, path: String, parameters: [String: String], body: [(String, JSONValue)], client: AuthService.Client) -> AuthCall {
        let sent = request.headers[.cookie].map(AuthCookies.parse) ?? [:]
        var token = cookies.sessionToken(from: sent)
        // Bearer plugin: a valid bearer value stands in for the session cookie; an invalid one is ignored.
        if let authorization = request.headers[.authorization], authorization.count > 7,
           authorization.prefix(7).lowercased() == "bearer " {
            let value = authorization.dropFirst(7).trimmingWhitespace
            if value.contains("." as Character) {
                if let unsigned = cookies.signer.unsign(value) { token = unsigned }
            } else if !value.isEmpty, value.count <= 256 {
                token = value
            }
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        return AuthCall(method: request.method, path: path, parameters: parameters, query: query, headers: request.headers, cookies: sent,
                        sessionToken: token, dontRemember: cookies.dontRemember(from: sent), body: body, client: client)
    }

    // MARK: - Response

    func makeResponse(_ reply: AuthReply) -> Response {
        var headers = HTTPFields()
        for (name, value) in reply.headers { headers.append(HTTPField(name: name, value: value)) }
        for line in reply.setCookies { headers.append(HTTPField(name: .setCookie, value: line)) }
        if let token = reply.issuedSessionToken {
            headers[.setAuthToken] = cookies.signer.signedValue(token)
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

/// Better Auth matches paths exactly, where Hummingbird's router forgives: a trailing slash,
/// an empty segment (`//`) or a `HEAD` for a `GET` route would reach the endpoint. Here they
/// are 404 with an empty body, as from Better Auth.
struct BetterAuthPathRules: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if request.method == .head || path.hasSuffix("/") || path.contains("//") { return .error(.notFoundEmpty) }
        return try await next(request, context)
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
