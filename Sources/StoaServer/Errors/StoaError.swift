/// An error that leaves the server as `{"code": …, "message": …}` with an HTTP status.
///
/// `code` is optional because a few Better Auth errors carry only a message
/// (for example `{"message":"No fields to update"}`); `message` is optional because
/// some answers (Better Auth's 404 for unknown routes) have an empty body.
public struct StoaError: Error, Sendable, Equatable {
    public var status: Int
    public var code: String?
    public var message: String?
    /// Extra response headers, such as `Retry-After`.
    public var headers: [(String, String)]
    /// When true the response has no body at all.
    public var emptyBody: Bool

    public init(status: Int, code: String?, message: String?, headers: [(String, String)] = [], emptyBody: Bool = false) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.emptyBody = emptyBody
    }

    public static func == (lhs: StoaError, rhs: StoaError) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message && lhs.emptyBody == rhs.emptyBody
    }

    public static func badRequest(_ code: String, _ message: String) -> StoaError { .init(status: 400, code: code, message: message) }
    public static func validation(_ message: String) -> StoaError { .init(status: 400, code: "VALIDATION_ERROR", message: message) }
    public static func unauthorized(_ code: String = "UNAUTHORIZED", _ message: String = "Unauthorized") -> StoaError { .init(status: 401, code: code, message: message) }
    public static func forbidden(_ code: String, _ message: String) -> StoaError { .init(status: 403, code: code, message: message) }
    /// Better Auth's answer to an unknown route: 404 with an empty body.
    public static let notFoundEmpty = StoaError(status: 404, code: nil, message: nil, emptyBody: true)
    /// A user's chat turns or tool calls over `STOA_USER_RATE_LIMIT`.
    public static func tooManyTurns(retryAfter: Int) -> StoaError {
        .init(status: 429, code: "RATE_LIMITED", message: "Too many messages at once. Please wait \(retryAfter) s and try again.",
              headers: [("Retry-After", String(retryAfter))])
    }
    public static func unavailable(_ message: String, retryAfter: Int) -> StoaError {
        .init(status: 503, code: "UNAVAILABLE", message: message, headers: [("Retry-After", String(retryAfter))])
    }
}
