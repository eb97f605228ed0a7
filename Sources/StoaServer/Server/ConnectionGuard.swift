import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Per-connection protection against slow and greedy clients, added to every HTTP/1 channel:
///
/// - **Header timeout**: a connection must finish a request head within `headerTimeout` of
///   opening (and, on a kept-alive connection, of the previous response's end); else it is
///   closed. Bytes trickling in do not extend it (slowloris).
/// - **Oversized heads**: the HTTP decoder's header limit fires as an error; the client gets
///   `431 Request Header Fields Too Large` and the connection is closed.
/// - **Open connections**: beyond ``ConnectionCounter/limit`` a new connection is closed at once,
///   with a warning in the log (at most one every 10 s).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let headerTimeout: TimeAmount
    let counter: ConnectionCounter
    let logger: Logger
    private var headerDeadline: Scheduled<Void>?
    private var counted = false

    init(headerTimeout: TimeAmount, counter: ConnectionCounter, logger: Logger) {
        self.headerTimeout = headerTimeout
        self.counter = counter
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard counter.open() else {
            counter.warnFull(logger: logger)
            context.close(promise: nil)
            return
        }
        counted = true
        armHeaderTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerDeadline?.cancel()
        headerDeadline = nil
        if counted { counter.close() }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headerDeadline?.cancel()
            headerDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { armHeaderTimer(context: context) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, parserError == .headerOverflow {
            headerDeadline?.cancel()
            var head = HTTPResponse(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"))
            head.headerFields[.contentLength] = "0"
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.fireErrorCaught(error)
    }

    private func armHeaderTimer(context: ChannelHandlerContext) {
        headerDeadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        headerDeadline = context.eventLoop.scheduleTask(in: headerTimeout) {
            loopBound.value.close(promise: nil)
        }
    }
}

/// The number of open HTTP connections, shared by every channel of one server.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let state = NIOLockedValueBox((open: 0, lastWarning: NIODeadline.distantPast))

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection; false (and nothing counted) when the limit is reached.
    func open() -> Bool {
        state.withLockedValue { state in
            guard state.open < limit else { return false }
            state.open += 1
            return true
        }
    }

    func close() { state.withLockedValue { $0.open -= 1 } }

    var current: Int { state.withLockedValue { $0.open } }

    /// Logs that connections are being refused, at most once every 10 seconds.
    func warnFull(logger: Logger) {
        let now = NIODeadline.now()
        let due = state.withLockedValue { state -> Bool in
            guard now - state.lastWarning >= .seconds(10) else { return false }
            state.lastWarning = now
            return true
        }
        if due {
            logger.warning("connection limit reached: refusing new connections", metadata: ["limit": "\(limit)", "setting": "STOA_MAX_CONNECTIONS"])
        }
    }
}
