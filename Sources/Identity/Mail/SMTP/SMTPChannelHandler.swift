import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// What the SMTP client asks of its channel.
enum SMTPChannelRequest: Sendable {
    /// Writes `bytes` (nil: writes nothing, e.g. for the greeting) and completes `promise` with the
    /// next reply, or fails it with ``SMTPConnectionError/timeout(_:)`` after `timeout`.
    case command(ByteBuffer?, step: String, timeout: TimeAmount, promise: EventLoopPromise<SMTPReply>)
    /// Puts TLS in front of the conversation (after the server's 220 to STARTTLS). Fails if the
    /// server has already sent more bytes: those would have come before TLS and cannot be trusted.
    case startTLS(NIOSSLContext, serverHostname: String?, promise: EventLoopPromise<Void>)
}

/// Why a conversation ended before its reply.
enum SMTPConnectionError: Error, Sendable {
    case timeout(String)
    case closed(String)
    case protocolViolation(String)
    /// A TLS failure (handshake, certificate), described by ``SMTPTLS/describe(_:)``.
    case tls(String)
    /// Any other error from the pipeline (I/O).
    case io(String)
}

/// The SMTP client's channel handler: turns bytes into replies with ``SMTPReplyParser`` and
/// hands each to the command waiting for it. One command at a time (no pipelining); a reply no
/// one asked for (other than the greeting) is a protocol violation, and so is anything after the
/// 220 to STARTTLS. Every wait has a timeout, after which the connection is closed.
final class SMTPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = SMTPChannelRequest
    typealias OutboundOut = ByteBuffer

    private var parser: SMTPReplyParser
    private var unclaimed: [SMTPReply] = []
    private var waiter: (promise: EventLoopPromise<SMTPReply>, step: String, timeout: Scheduled<Void>)? = nil
    private var failure: SMTPConnectionError? = nil
    private var currentStep = "connecting"
    /// The first failure, readable from outside the event loop (once the channel has closed, a
    /// late command only sees "closed channel"; this keeps the real cause, e.g. a TLS error).
    let firstFailure: NIOLockedValueBox<SMTPConnectionError?>

    init(parser: SMTPReplyParser = SMTPReplyParser(), firstFailure: NIOLockedValueBox<SMTPConnectionError?> = NIOLockedValueBox(nil)) {
        self.parser = parser
        self.firstFailure = firstFailure
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .command(let bytes, let step, let timeout, let replyPromise):
            currentStep = step
            if let failure {
                replyPromise.fail(failure)
                promise?.fail(failure)
                return
            }
            guard waiter == nil else {
                replyPromise.fail(SMTPConnectionError.protocolViolation("two commands at once (\(step))"))
                promise?.succeed(())
                return
            }
            if bytes != nil, !unclaimed.isEmpty {
                fail(context, .protocolViolation("the server sent a reply nobody asked for before \(step): \(unclaimed[0].summary)"))
                replyPromise.fail(failure!)
                promise?.fail(failure!)
                return
            }
            if !unclaimed.isEmpty {
                replyPromise.succeed(unclaimed.removeFirst())
            } else {
                let loop = context.eventLoop.assumeIsolated()
                let ms = timeout.nanoseconds / 1_000_000
                let limit = ms % 1_000 == 0 ? "\(ms / 1_000) s" : "\(ms) ms"
                let scheduled = loop.scheduleTask(in: timeout) { [self] in
                    fail(context, .timeout("no reply from the SMTP server within \(limit) (\(step))"))
                }
                waiter = (replyPromise, step, scheduled)
            }
            if let bytes {
                context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
            } else {
                promise?.succeed(())
            }
        case .startTLS(let sslContext, let serverHostname, let tlsPromise):
            promise?.succeed(())
            if let failure { return tlsPromise.fail(failure) }
            guard !parser.hasBufferedBytes, unclaimed.isEmpty, waiter == nil else {
                fail(context, .protocolViolation("the server sent data right after agreeing to STARTTLS (possible injection); refusing to continue"))
                return tlsPromise.fail(failure!)
            }
            do {
                let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
                try context.pipeline.syncOperations.addHandler(tls, position: .first)
                tlsPromise.succeed(())
            } catch {
                fail(context, .tls(SMTPTLS.describe(error)))
                tlsPromise.fail(failure!)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        let buffer = unwrapInboundIn(data)
        let replies: [SMTPReply]
        do {
            replies = try parser.feed(buffer.readableBytesView)
        } catch {
            return fail(context, .protocolViolation(error.description))
        }
        for reply in replies {
            if let current = waiter {
                waiter = nil
                current.timeout.cancel()
                current.promise.succeed(reply)
            } else {
                unclaimed.append(reply)
                if unclaimed.count > 1 {
                    return fail(context, .protocolViolation("the server sent replies nobody asked for: \(reply.summary)"))
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, SMTPTLS.isTLSError(error) ? .tls(SMTPTLS.describe(error)) : .io("\(error) (\(currentStep))"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context, .closed("the SMTP server closed the connection (\(currentStep))"))
        context.fireChannelInactive()
    }

    /// Records the first failure, fails the waiting command with it and closes the channel.
    private func fail(_ context: ChannelHandlerContext, _ error: SMTPConnectionError) {
        guard failure == nil else { return }
        failure = error
        firstFailure.withLockedValue { if $0 == nil { $0 = error } }
        if let current = waiter {
            waiter = nil
            current.timeout.cancel()
            current.promise.fail(error)
        }
        context.close(promise: nil)
    }
}
