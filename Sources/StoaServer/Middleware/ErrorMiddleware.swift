import Hummingbird
import Logging
import StoaCore
import Storage

/// Turns thrown errors into `{message, code}` answers: ``StoaError`` as it is, domain errors
/// through `StoaError+Domain.swift`. Unexpected errors are logged (without
/// request data) and become a 500 with no details; database outages become 503.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            switch error.status.code {
            case 404 where request.uri.path.hasPrefix("/api/auth"):
                return .error(.notFoundEmpty)
            case 404: return .error(StoaError(status: 404, code: "NOT_FOUND", message: "Not found"))
            case 413: return .error(.bodyTooLarge)
            default:
                return .error(StoaError(status: Int(error.status.code), code: "BAD_REQUEST", message: error.body ?? error.status.reasonPhrase))
            }
        } catch let error as DatabaseError {
            if case .unavailable = error {
                return .error(.unavailable("The database is not available. Please try again shortly.", retryAfter: 5))
            }
            // The route pattern, never the path (a reset link's token is in its path); the request id comes with the logger.
            context.logger.error("database error", metadata: ["error": "\(error)", "route": "\(context.endpointPath ?? "unmatched")"])
            return internalError(request)
        } catch {
            if let answer = StoaError.from(domain: error) { return .error(answer) }
            context.logger.error("unhandled error", metadata: ["error": "\(String(describing: type(of: error)))", "route": "\(context.endpointPath ?? "unmatched")"])
            return internalError(request)
        }
    }

    func internalError(_ request: Request) -> Response {
        if request.uri.path.hasPrefix("/api/auth") { return Response(status: .internalServerError) }
        return .error(StoaError(status: 500, code: "INTERNAL", message: "Something went wrong on our side."))
    }
}
