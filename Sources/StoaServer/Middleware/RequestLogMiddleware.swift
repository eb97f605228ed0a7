import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import StoaCore
import Synchronization

/// Gives every request an id and logs one line when it ends.
///
/// The id is the `X-Request-Id` a trusted proxy sent (``ClientAddress``'s list, loopback by
/// default), when it is a plain token of at most 128 characters; otherwise a new one. It is echoed
/// on the response and added to the request's logger, so every line logged for the request
/// carries it. The line (`request`, level `info`) holds the method, the route pattern (never the
/// path: a reset link's token is in its path), the status, the duration in milliseconds and the
/// user id once a credential was verified; never headers, cookies, tokens or bodies. The line is
/// written with `STOA_LOG_FORMAT=json` (`accessLog`), where a collector indexes it; plain-text
/// logs stay quiet per request.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let clientAddress: ClientAddress
    let accessLog: Bool

    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let id = Self.requestID(offered: request.headers[Self.header], peer: context.peerAddress, clientAddress: clientAddress)
        context.logger[metadataKey: "request_id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = id
            log(request, context: context, status: Int(response.status.code), start: start)
            return response
        } catch {
            log(request, context: context, status: (error as? HTTPResponseError)?.status.code ?? 500, start: start)
            throw error
        }
    }

    func log(_ request: Request, context: Context, status: Int, start: ContinuousClock.Instant) {
        guard accessLog else { return }
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "route": .string(context.endpointPath ?? "unmatched"),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible(((ContinuousClock.now - start).milliseconds * 100).rounded() / 100),
        ]
        if let user = context.requestLog.userID { metadata["user_id"] = .string(user) }
        context.logger.info("request", metadata: metadata)
    }

    /// The proxy's id when the peer is trusted and the id is a plain token; else a new random one.
    static func requestID(offered: String?, peer: String?, clientAddress: ClientAddress) -> String {
        if let offered, let peer, clientAddress.isTrustedProxy(peer), (1...128).contains(offered.utf8.count),
           offered.utf8.allSatisfy({ byte in
               (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || [0x2D, 0x2E, 0x5F, 0x3A].contains(byte)
           }) {
            return offered
        }
        return RandomID.generate(16)
    }
}

/// What the request log line needs from inside the middleware chain (the user id is verified by
/// ``APIAuthMiddleware``, further in, whose context changes do not flow back out).
final class RequestLogRecord: Sendable {
    private let user = Mutex<String?>(nil)
    var userID: String? {
        get { user.withLock { $0 } }
        set { user.withLock { $0 = newValue } }
    }
}
