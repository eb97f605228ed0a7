import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import StoaCore

/// Delivers mail to one SMTP server (`STOA_SMTP_URL`): one connection per ``send(_:)``.
///
/// `smtp://` connects in plaintext and requires STARTTLS (no fallback); `smtps://` speaks TLS
/// from the first byte; `?starttls=off` (loopback only) skips TLS. Certificates and host names
/// are verified. AUTH PLAIN (preferred) or LOGIN when the URL has credentials, never over an
/// unencrypted connection to another host. Every step has a timeout. 4xx replies are
/// ``MailDeliveryError/transient(_:)``, 5xx ``MailDeliveryError/permanent(_:)``; connection,
/// timeout and TLS failures are transient. The password never appears in a message or log line.
public struct SMTPMailTransport: MailTransport {
    public let settings: SMTPSettings
    public let from: MailAddress
    /// The time each step (connect, each reply) may take.
    public var timeout: TimeAmount
    /// The time the server may take to accept the message after its last byte.
    public var dataTimeout: TimeAmount
    /// Called with a line for each step (for `stoa mail test`); never given secrets.
    public var progress: (@Sendable (String) -> Void)? = nil
    /// Tests only: connect here instead of `settings.host` (the policy still sees `settings.host`).
    var connectOverride: String? = nil
    private let tlsContext: NIOSSLContext?
    private let group: any EventLoopGroup
    private let logger: Logger

    /// Throws a configuration error when `caFile` is not a PEM file of certificates.
    public init(
        settings: SMTPSettings, from: MailAddress, caFile: String? = nil,
        timeout: TimeAmount = .seconds(30), dataTimeout: TimeAmount = .seconds(120),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) throws(ConfigurationError) {
        self.settings = settings
        self.from = from
        self.timeout = timeout
        self.dataTimeout = dataTimeout
        self.group = group
        self.logger = logger
        self.tlsContext = settings.security == .none ? nil : try SMTPTLS.makeContext(caFile: caFile)
    }

    public func send(_ mail: OutgoingMail) async throws {
        let message: String
        do {
            message = try MIMEMessage.compose(mail, from: from)
        } catch {
            throw MailDeliveryError.permanent(error.description)
        }
        let endpoint = "\(settings.host):\(settings.port)"
        let mode = switch settings.security {
        case .startTLS: "STARTTLS required"
        case .implicitTLS: "implicit TLS"
        case .none: "no TLS, loopback"
        }
        report("connecting to \(endpoint) (\(mode))")
        let channel: any Channel
        let firstFailure = NIOLockedValueBox<SMTPConnectionError?>(nil)
        do {
            channel = try await connect(firstFailure)
        } catch {
            throw MailDeliveryError.transient(redact("cannot connect to the SMTP server \(endpoint): \(Self.describeConnectError(error))"))
        }
        do {
            try await converse(on: channel, message: message, to: mail.to)
            try? await channel.close()
        } catch let error as MailDeliveryError {
            try? await channel.close()
            logger.debug("SMTP delivery failed", metadata: ["smtp": "\(settings.redacted)", "error": "\(redact(error))"])
            throw redact(error)
        } catch {
            try? await channel.close()
            // A command written after the channel closed fails with "closed channel": the
            // handler kept the real cause.
            let cause: any Error = firstFailure.withLockedValue { $0 } ?? error
            throw MailDeliveryError.transient(redact(describe(cause)))
        }
    }

    // MARK: Connection

    private func connect(_ firstFailure: NIOLockedValueBox<SMTPConnectionError?>) async throws -> any Channel {
        let implicitTLS = settings.security == .implicitTLS ? tlsContext : nil
        let hostname = SMTPTLS.serverHostname(settings.host)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let implicitTLS { try pipeline.addHandler(NIOSSLClientHandler(context: implicitTLS, serverHostname: hostname)) }
                    try pipeline.addHandler(SMTPChannelHandler(firstFailure: firstFailure))
                }
            }
        return try await bootstrap.connect(host: connectOverride ?? settings.host, port: settings.port).get()
    }

    /// Sends `line` (CRLF added; nil sends nothing) and waits for the reply.
    private func command(_ channel: any Channel, _ line: String?, step: String, timeout: TimeAmount? = nil) async throws -> SMTPReply {
        try await command(channel, bytes: line.map { Array(($0 + "\r\n").utf8) }, step: step, timeout: timeout)
    }

    private func command(_ channel: any Channel, bytes: [UInt8]?, step: String, timeout: TimeAmount? = nil) async throws -> SMTPReply {
        let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
        let buffer = bytes.map { ByteBuffer(bytes: $0) }
        // If the handler is gone (channel closed), the write fails and so does the command.
        channel.writeAndFlush(SMTPChannelRequest.command(buffer, step: step, timeout: timeout ?? self.timeout, promise: promise))
            .whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    /// Checks that `reply` is one of `expected`; 4xx is transient, 5xx permanent.
    private func require(_ reply: SMTPReply, _ expected: Set<Int>, _ step: String) throws {
        guard !expected.contains(reply.code) else { return }
        let text = "the SMTP server refused \(step): \(reply.summary)"
        if reply.isPermanentFailure { throw MailDeliveryError.permanent(text) }
        throw MailDeliveryError.transient(text)
    }

    private func converse(on channel: any Channel, message: String, to recipient: String) async throws {
        let greeting = try await command(channel, nil, step: "waiting for the greeting")
        try require(greeting, [220], "the connection")
        report("connected: \(greeting.summary)")
        let name = Self.clientName(localAddress: channel.localAddress)
        var ehlo = try await command(channel, "EHLO \(name)", step: "EHLO")
        try require(ehlo, [250], "EHLO")
        var encrypted = settings.security == .implicitTLS

        if settings.security == .startTLS {
            guard ehlo.extensions["STARTTLS"] != nil else {
                throw MailDeliveryError.transient(
                    "the SMTP server \(settings.host) does not offer STARTTLS; refusing to send in plaintext (use smtps:// for implicit TLS, or ?starttls=off only for a server on loopback)")
            }
            let reply = try await command(channel, "STARTTLS", step: "STARTTLS")
            try require(reply, [220], "STARTTLS")
            let promise = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(SMTPChannelRequest.startTLS(tlsContext!, serverHostname: SMTPTLS.serverHostname(settings.host), promise: promise))
                .whenFailure { promise.fail($0) }
            try await promise.futureResult.get()
            // The handshake runs before the EHLO goes out; its failure fails this command.
            ehlo = try await command(channel, "EHLO \(name)", step: "EHLO after STARTTLS (TLS handshake)")
            try require(ehlo, [250], "EHLO after STARTTLS")
            encrypted = true
            report("STARTTLS: TLS established, certificate verified for \(settings.host)")
        } else if encrypted {
            report("TLS established, certificate verified for \(settings.host)")
        }

        if let username = settings.username, let password = settings.password {
            guard encrypted || settings.isLoopback else {
                throw MailDeliveryError.permanent("refusing to send the SMTP password over an unencrypted connection to \(settings.host)")
            }
            let mechanisms = Set((ehlo.extensions["AUTH"] ?? []).map { $0.uppercased() })
            if mechanisms.contains("PLAIN") {
                let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                let reply = try await command(channel, "AUTH PLAIN \(token)", step: "AUTH PLAIN")
                try requireAuth(reply, username)
                report("authenticated as \(username) (AUTH PLAIN)")
            } else if mechanisms.contains("LOGIN") {
                let start = try await command(channel, "AUTH LOGIN", step: "AUTH LOGIN")
                try requireAuth(start, username, expected: 334)
                let user = try await command(channel, Data(username.utf8).base64EncodedString(), step: "AUTH LOGIN (user name)")
                try requireAuth(user, username, expected: 334)
                let pass = try await command(channel, Data(password.utf8).base64EncodedString(), step: "AUTH LOGIN (password)")
                try requireAuth(pass, username)
                report("authenticated as \(username) (AUTH LOGIN)")
            } else {
                throw MailDeliveryError.permanent(mechanisms.isEmpty
                    ? "the SMTP server \(settings.host) does not offer AUTH, but STOA_SMTP_URL has credentials"
                    : "the SMTP server \(settings.host) offers AUTH \(mechanisms.sorted().joined(separator: " ")) but not PLAIN or LOGIN")
            }
        }

        try require(try await command(channel, "MAIL FROM:<\(from.address)>", step: "MAIL FROM"), [250], "the sender (MAIL FROM)")
        try require(try await command(channel, "RCPT TO:<\(recipient)>", step: "RCPT TO"), [250, 251], "the recipient (RCPT TO)")
        try require(try await command(channel, "DATA", step: "DATA"), [354], "DATA")
        let accepted = try await command(channel, bytes: MIMEMessage.dataPayload(message), step: "sending the message", timeout: dataTimeout)
        try require(accepted, [250], "the message")
        report("sent: \(accepted.summary)")
        _ = try? await command(channel, "QUIT", step: "QUIT", timeout: .seconds(5))
    }

    private func requireAuth(_ reply: SMTPReply, _ username: String, expected: Int = 235) throws {
        guard reply.code != expected else { return }
        let text = "the SMTP server rejected the credentials for \(username): \(reply.summary)"
        throw reply.isTransientFailure ? MailDeliveryError.transient(text) : MailDeliveryError.permanent(text)
    }

    // MARK: Messages

    private func report(_ line: String) {
        progress?(redact(line))
        logger.debug("smtp: \(redact(line))")
    }

    /// Removes the password (as it is, base64, and in the AUTH PLAIN token) from a message.
    func redact(_ text: String) -> String {
        guard let password = settings.password, !password.isEmpty else { return text }
        var out = text
        var secrets = [password, Data(password.utf8).base64EncodedString(),
                       password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password]
        if let username = settings.username { secrets.append(Data("\0\(username)\0\(password)".utf8).base64EncodedString()) }
        for secret in secrets.sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }

    private func redact(_ error: MailDeliveryError) -> MailDeliveryError {
        switch error {
        case .transient(let text): .transient(redact(text))
        case .permanent(let text): .permanent(redact(text))
        }
    }

    private func describe(_ error: any Error) -> String {
        switch error as? SMTPConnectionError {
        case .timeout(let text): return text + " from \(settings.host):\(settings.port)"
        case .closed(let text): return text + " (\(settings.host):\(settings.port))"
        case .protocolViolation(let text): return "SMTP protocol error with \(settings.host): \(text)"
        case .tls(let text) where text == SMTPTLS.untrustedCertificate:
            return "TLS with \(settings.host) failed: certificate not trusted for \(settings.host) (self-signed, expired, from an unknown authority or for another name; set STOA_SMTP_CA_FILE to trust a private CA)"
        case .tls(let text): return "TLS with \(settings.host) failed: \(text)"
        case .io(let text): return "connection to \(settings.host):\(settings.port) failed: \(text)"
        case nil: return "SMTP delivery via \(settings.host):\(settings.port) failed: \(error)"
        }
    }

    static func describeConnectError(_ error: any Error) -> String {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return "connection timed out" }
        let text = "\(error)"
        if text.contains("connection refused") || text.contains("Connection refused") { return "connection refused" }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// The EHLO name: the machine's host name when it is a full domain name, else the local
    /// address as an address literal (RFC 5321 §4.1.3).
    static func clientName(localAddress: SocketAddress?) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if name.contains("."), MailAddress.isValid("x@\(name)") { return name }
        }
        switch localAddress {
        case .v4(let address)?: return "[\(address.host)]"
        case .v6(let address)?: return "[IPv6:\(address.host)]"
        default: return "localhost"
        }
    }
}
