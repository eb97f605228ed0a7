import Hummingbird
import Logging
import NIOCore

/// The context of every request: the logger and the peer's IP address (for rate limiting).
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket's remote IP; `nil` for in-process test requests.
    public let peerAddress: String?
    /// Set by ``APIAuthMiddleware`` once a token or session has been verified.
    public var identity: AuthenticatedUser? {
        didSet { requestLog.userID = identity?.id }
    }
    /// What the request's log line reports from inside the chain (``RequestLogMiddleware``).
    let requestLog = RequestLogRecord()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies above 1 MiB are refused with 413 before any handler sees them.
    public var maxUploadSize: Int { 1 << 20 }
}
