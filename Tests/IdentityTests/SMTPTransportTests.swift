import Foundation
@testable import Identity
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import StoaCore
import Testing

/// A scripted SMTP server on 127.0.0.1: `respond` maps each command line to the bytes to send
/// back (nil: say nothing); after a 354 it collects the message up to `CRLF.CRLF` and answers
/// `dataReply`. Records everything it receives.
final class ScriptedSMTPServer: Sendable {
    let channel: any Channel
    let received = NIOLockedValueBox<[String]>([])
    let messages = NIOLockedValueBox<[String]>([])
    var port: Int { channel.localAddress!.port! }

    /// `drip`: send the greeting one byte at a time, this far apart.
    init(greeting: String? = "220 scripted ESMTP\r\n", dataReply: String = "250 2.0.0 queued\r\n", drip: TimeAmount? = nil,
         respond: @escaping @Sendable (String) -> String?) async throws {
        let received = self.received
        let messages = self.messages
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        ScriptHandler(greeting: greeting, dataReply: dataReply, drip: drip, respond: respond, received: received, messages: messages))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async { try? await channel.close() }

    final class ScriptHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let greeting: String?
        let dataReply: String
        let drip: TimeAmount?
        let respond: @Sendable (String) -> String?
        let received: NIOLockedValueBox<[String]>
        let messages: NIOLockedValueBox<[String]>
        var buffer = ""
        var inData = false

        init(greeting: String?, dataReply: String, drip: TimeAmount?, respond: @escaping @Sendable (String) -> String?,
             received: NIOLockedValueBox<[String]>, messages: NIOLockedValueBox<[String]>) {
            self.greeting = greeting
            self.dataReply = dataReply
            self.drip = drip
            self.respond = respond
            self.received = received
            self.messages = messages
        }

        func channelActive(context: ChannelHandlerContext) {
            guard let greeting else { return }
            guard let drip else { return send(context, greeting) }
            dripBytes(context, ArraySlice(greeting.utf8), every: drip)
        }

        /// One byte, then the rest after `every` (chained, so a busy loop cannot bunch them up).
        func dripBytes(_ context: ChannelHandlerContext, _ bytes: ArraySlice<UInt8>, every: TimeAmount) {
            guard let first = bytes.first, context.channel.isActive else { return }
            send(context, String(decoding: [first], as: UTF8.self))
            context.eventLoop.assumeIsolated().scheduleTask(in: every) { [self] in
                dripBytes(context, bytes.dropFirst(), every: every)
            }
        }

        func send(_ context: ChannelHandlerContext, _ text: String) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            buffer += String(buffer: unwrapInboundIn(data))
            while true {
                if inData {
                    guard let end = buffer.range(of: "\r\n.\r\n") else { return }
                    let message = String(buffer[..<end.lowerBound])
                    messages.withLockedValue { $0.append(message) }
                    buffer = String(buffer[end.upperBound...])
                    inData = false
                    send(context, dataReply)
                    continue
                }
                guard let end = buffer.range(of: "\r\n") else { return }
                let line = String(buffer[..<end.lowerBound])
                buffer = String(buffer[end.upperBound...])
                received.withLockedValue { $0.append(line) }
                if let reply = respond(line) {
                    send(context, reply)
                    if line == "DATA", reply.hasPrefix("354") { inData = true }
                    if line == "QUIT" { context.close(promise: nil) }
                }
            }
        }
    }
}

/// A log handler that keeps every line (to check that no secret is logged).
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.withLockedValue { $0.append("\(message) \(metadata ?? [:]) \(self.metadata)") }
    }
}

@Suite struct SMTPTransportTests {
    static let password = "hunter2-Pässword"
    static let mail = OutgoingMail(to: "alice@example.com", toName: "Alice", subject: "Hello", text: "line 1\n.dot line\n", html: "<p>hi</p>")

    /// The usual conversation for a loopback server without TLS, offering `auth`.
    static func standard(auth: String = "AUTH PLAIN LOGIN", overrides: [String: String] = [:]) -> @Sendable (String) -> String? {
        { line in
            let verb = line.split(separator: " ").first.map(String.init)?.uppercased() ?? ""
            if let reply = overrides[verb] { return reply }
            switch verb {
            case "EHLO": return "250-scripted\r\n250-\(auth)\r\n250 8BITMIME\r\n"
            case "AUTH": return line.hasPrefix("AUTH PLAIN ") ? "235 ok\r\n" : "334 VXNlcm5hbWU6\r\n"
            case "MAIL", "RCPT": return "250 ok\r\n"
            case "DATA": return "354 go\r\n"
            case "QUIT": return "221 bye\r\n"
            default:
                // AUTH LOGIN: the user name gets the password prompt, the password success.
                if line == Data("stoa".utf8).base64EncodedString() { return "334 UGFzc3dvcmQ6\r\n" }
                return !line.contains(" ") ? "235 ok\r\n" : "500 what\r\n"
            }
        }
    }

    static func transport(_ port: Int, security: SMTPSettings.Security = .none, credentials: Bool = true,
                          timeout: TimeAmount = .seconds(2), logs: NIOLockedValueBox<[String]>? = nil) throws -> SMTPMailTransport {
        let settings = SMTPSettings(host: "127.0.0.1", port: port, security: security,
                                    username: credentials ? "stoa" : nil, password: credentials ? password : nil)
        var logger = Logger(label: "smtp-test") { _ in CapturingLogHandler(lines: logs ?? NIOLockedValueBox([])) }
        logger.logLevel = .trace
        return try SMTPMailTransport(settings: settings, from: MailAddress(name: "Stoa", address: "stoa@example.com"),
                                     timeout: timeout, dataTimeout: timeout, logger: logger)
    }

    /// Sends and returns the error (nil when it went out).
    static func send(_ transport: SMTPMailTransport, _ mail: OutgoingMail = mail) async -> MailDeliveryError? {
        do {
            try await transport.send(mail)
            return nil
        } catch let error as MailDeliveryError {
            return error
        } catch {
            Issue.record("not a MailDeliveryError: \(error)")
            return nil
        }
    }

    static func text(_ error: MailDeliveryError?) -> String {
        switch error {
        case .transient(let t)?: "transient: \(t)"
        case .permanent(let t)?: "permanent: \(t)"
        case nil: "sent"
        }
    }

    static func secretForms() -> [String] {
        [password, Data(password.utf8).base64EncodedString(), Data("\0stoa\0\(password)".utf8).base64EncodedString()]
    }

    @Test("the whole conversation over loopback: EHLO, AUTH PLAIN, MAIL, RCPT, DATA (dot-stuffed), QUIT") func conversation() async throws {
        let server = try await ScriptedSMTPServer(respond: Self.standard())
        defer { Task { await server.stop() } }
        let logs = NIOLockedValueBox<[String]>([])
        let progress = NIOLockedValueBox<[String]>([])
        var transport = try Self.transport(server.port, logs: logs)
        transport.progress = { line in progress.withLockedValue { $0.append(line) } }
        #expect(await Self.send(transport) == nil)
        let lines = server.received.withLockedValue { $0 }
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("EHLO "))
        #expect(lines[1] == "AUTH PLAIN " + Data("\0stoa\0\(Self.password)".utf8).base64EncodedString())
        #expect(Array(lines[2...]) == ["MAIL FROM:<stoa@example.com>", "RCPT TO:<alice@example.com>", "DATA", "QUIT"])
        let message = try #require(server.messages.withLockedValue { $0 }.first)
        #expect(message.contains("\r\n..dot line\r\n"))
        #expect(message.contains("To: \"Alice\" <alice@example.com>\r\n"))
        #expect(progress.withLockedValue { $0 }.contains("authenticated as stoa (AUTH PLAIN)"))
        for line in logs.withLockedValue({ $0 }) + progress.withLockedValue({ $0 }) {
            for secret in Self.secretForms() { #expect(!line.contains(secret), "\(line)") }
        }
    }

    @Test("AUTH LOGIN when PLAIN is not offered") func authLogin() async throws {
        let server = try await ScriptedSMTPServer(respond: Self.standard(auth: "AUTH LOGIN CRAM-MD5"))
        defer { Task { await server.stop() } }
        #expect(await Self.send(try Self.transport(server.port)) == nil)
        let lines = server.received.withLockedValue { $0 }
        try #require(lines.count >= 4)
        #expect(lines[1] == "AUTH LOGIN")
        #expect(lines[2] == Data("stoa".utf8).base64EncodedString())
        #expect(lines[3] == Data(Self.password.utf8).base64EncodedString())
    }

    @Test("no usable AUTH mechanism, or no AUTH at all, with credentials: permanent, nothing sent") func noAuth() async throws {
        for auth in ["AUTH CRAM-MD5 XOAUTH2", "SIZE 100"] {
            let server = try await ScriptedSMTPServer(respond: Self.standard(auth: auth))
            let error = await Self.send(try Self.transport(server.port))
            #expect(Self.text(error).hasPrefix("permanent:") && Self.text(error).contains("AUTH"), "\(Self.text(error))")
            #expect(!server.received.withLockedValue { $0 }.contains { $0.hasPrefix("MAIL") })
            await server.stop()
        }
    }

    @Test("4xx is transient, 5xx permanent, at every step") func replyCodes() async throws {
        let cases: [(String, String, String)] = [
            ("MAIL", "451 4.3.0 later\r\n", "transient"), ("MAIL", "550 5.7.1 no\r\n", "permanent"),
            ("RCPT", "452 4.2.2 full\r\n", "transient"), ("RCPT", "550 5.1.1 unknown user\r\n", "permanent"),
            ("DATA", "554 5.5.1 no valid recipients\r\n", "permanent"), ("EHLO", "421 4.3.2 shutting down\r\n", "transient"),
            ("AUTH", "454 4.7.0 temporary auth failure\r\n", "transient"), ("AUTH", "535 5.7.8 bad credentials\r\n", "permanent"),
        ]
        for (verb, reply, kind) in cases {
            let server = try await ScriptedSMTPServer(respond: Self.standard(overrides: [verb: reply]))
            let error = Self.text(await Self.send(try Self.transport(server.port)))
            #expect(error.hasPrefix(kind) && error.contains(String(reply.prefix(3))), "\(verb) \(reply): \(error)")
            await server.stop()
        }
        let greeting = try await ScriptedSMTPServer(greeting: "554 5.7.1 go away\r\n", respond: Self.standard())
        #expect(Self.text(await Self.send(try Self.transport(greeting.port))).hasPrefix("permanent"))
        await greeting.stop()
        let data = try await ScriptedSMTPServer(dataReply: "452 4.3.1 insufficient storage\r\n", respond: Self.standard())
        #expect(Self.text(await Self.send(try Self.transport(data.port))).hasPrefix("transient"))
        await data.stop()
    }

    @Test("STARTTLS required but not offered: refused before AUTH or MAIL, transient") func noStartTLS() async throws {
        let server = try await ScriptedSMTPServer(respond: Self.standard())
        defer { Task { await server.stop() } }
        let error = Self.text(await Self.send(try Self.transport(server.port, security: .startTLS)))
        #expect(error.hasPrefix("transient") && error.contains("does not offer STARTTLS"), "\(error)")
        #expect(server.received.withLockedValue { $0 }.map { String($0.prefix(4)) } == ["EHLO"])
    }

    @Test("bytes after the 220 to STARTTLS (injection) end the conversation") func startTLSInjection() async throws {
        let server = try await ScriptedSMTPServer(respond: Self.standard(auth: "STARTTLS", overrides: ["STARTTLS": "220 go ahead\r\n250 injected\r\n"]))
        defer { Task { await server.stop() } }
        let error = Self.text(await Self.send(try Self.transport(server.port, security: .startTLS)))
        #expect(error.contains("after agreeing to STARTTLS") || error.contains("nobody asked for"), "\(error)")
        #expect(!server.received.withLockedValue { $0 }.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
    }

    @Test("a server that says nothing, drips bytes, or floods: a timeout or a bounded error, transient") func hostileServers() async throws {
        let silent = try await ScriptedSMTPServer(greeting: nil, respond: { _ in nil })
        let started = ContinuousClock.now
        let error = Self.text(await Self.send(try Self.transport(silent.port, timeout: .milliseconds(500))))
        #expect(error.hasPrefix("transient") && error.contains("no reply from the SMTP server"), "\(error)")
        // Generous: the full suite runs many tests at once on few cores.
        #expect(ContinuousClock.now - started < .seconds(20))
        await silent.stop()

        // One byte every 100 ms: the greeting needs 60 s, the step gets 500 ms (per reply, not per
        // byte). Long, because in the full suite a 500 ms timer can fire seconds late (a 4 s
        // greeting once arrived whole first in CI).
        let patient = "220 slow but steady" + String(repeating: ", and very patient", count: 32) + "\r\n"
        let drip = try await ScriptedSMTPServer(greeting: patient, drip: .milliseconds(100), respond: Self.standard())
        // Had the timeout been per byte, the whole greeting would arrive and the mail go out.
        let dripped = Self.text(await Self.send(try Self.transport(drip.port, timeout: .milliseconds(500))))
        #expect(dripped.hasPrefix("transient") && dripped.contains("no reply from the SMTP server within 500 ms (waiting for the greeting)"), "\(dripped)")
        #expect(drip.received.withLockedValue { $0 }.isEmpty)
        await drip.stop()

        let hung = try await ScriptedSMTPServer(dataReply: "", respond: Self.standard())
        #expect(Self.text(await Self.send(try Self.transport(hung.port, timeout: .milliseconds(500)))).contains("no reply"))
        await hung.stop()

        let longLine = try await ScriptedSMTPServer(greeting: "220 " + String(repeating: "x", count: 1_000_000), respond: { _ in nil })
        let long = Self.text(await Self.send(try Self.transport(longLine.port)))
        #expect(long.hasPrefix("transient") && long.contains("longer than 2048 bytes"), "\(long)")
        await longLine.stop()

        let flood = try await ScriptedSMTPServer(greeting: String(repeating: "220-x\r\n", count: 10_000), respond: { _ in nil })
        #expect(Self.text(await Self.send(try Self.transport(flood.port))).contains("more than 200 lines"))
        await flood.stop()

        let unasked = try await ScriptedSMTPServer(greeting: "220 a\r\n220 b\r\n250 c\r\n", respond: Self.standard())
        #expect(Self.text(await Self.send(try Self.transport(unasked.port))).contains("nobody asked for"))
        await unasked.stop()

    }

    @Test("connection refused: transient, says so") func refused() async throws {
        let server = try await ScriptedSMTPServer(respond: Self.standard())
        let port = server.port
        await server.stop()
        let error = Self.text(await Self.send(try Self.transport(port)))
        #expect(error.hasPrefix("transient") && error.contains("cannot connect") && error.contains("connection refused"), "\(error)")
    }

    @Test("a server that echoes the AUTH line back in its refusal never gets the password into the error") func echoedSecrets() async throws {
        for auth in ["AUTH PLAIN", "AUTH LOGIN"] {
            let server = try await ScriptedSMTPServer(respond: { line in
                if line.hasPrefix("EHLO") { return "250-x\r\n250 \(auth)\r\n" }
                if line == "AUTH LOGIN" || line == Data("stoa".utf8).base64EncodedString() { return "334 go\r\n" }
                return "535 5.7.8 rejected: \(line) / \(Self.password)\r\n"
            })
            let logs = NIOLockedValueBox<[String]>([])
            let error = Self.text(await Self.send(try Self.transport(server.port, logs: logs)))
            #expect(error.hasPrefix("permanent") && error.contains("535") && error.contains("***"), "\(error)")
            for secret in Self.secretForms() {
                #expect(!error.contains(secret), "\(error)")
                for line in logs.withLockedValue({ $0 }) { #expect(!line.contains(secret), "\(line)") }
            }
            await server.stop()
        }
    }

    @Test("never AUTH over plaintext to a non-loopback host") func noPlaintextAuthRemote() async throws {
        // A hand-built setting (the URL parser refuses starttls=off for such hosts): the
        // transport checks again. It connects to the scripted server on 127.0.0.1.
        let server = try await ScriptedSMTPServer(respond: Self.standard())
        defer { Task { await server.stop() } }
        let settings = SMTPSettings(host: "smtp.example.com", port: server.port, security: .none, username: "stoa", password: Self.password)
        var transport = try SMTPMailTransport(settings: settings, from: MailAddress(address: "stoa@example.com"), timeout: .seconds(2), logger: Logger(label: "t"))
        transport.connectOverride = "127.0.0.1"
        let error = Self.text(await Self.send(transport))
        #expect(error.hasPrefix("permanent") && error.contains("refusing to send the SMTP password over an unencrypted connection"), "\(error)")
        #expect(!server.received.withLockedValue { $0 }.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
    }

    @Test("invalid recipient: permanent, no connection made") func invalidRecipient() async throws {
        let server = try await ScriptedSMTPServer(respond: Self.standard())
        defer { Task { await server.stop() } }
        var mail = Self.mail
        mail.to = "alice@example.com>\r\nRCPT TO:<evil@example.com"
        let error = Self.text(await Self.send(try Self.transport(server.port), mail))
        #expect(error.hasPrefix("permanent") && error.contains("not a valid address"))
        #expect(server.received.withLockedValue { $0 }.isEmpty)
    }

    @Test("an unreadable or non-PEM CA file is a configuration error") func caFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID().uuidString).pem").path
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigurationError.self) {
            _ = try SMTPMailTransport(settings: SMTPSettings(host: "smtp.example.com", port: 587, security: .startTLS),
                                      from: MailAddress(address: "stoa@example.com"), caFile: path, logger: Logger(label: "t"))
        }
    }
}
