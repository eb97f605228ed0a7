import Logging

/// A mail ready to go out: rendered text and HTML bodies, one recipient.
///
/// The sender (`STOA_MAIL_FROM`), `Date`, `Message-ID` and the MIME structure are added by the
/// transport that delivers it, so an outbox row stores exactly these fields.
public struct OutgoingMail: Sendable, Equatable, Codable {
    /// The recipient's address (already validated and lowercased by the auth flows).
    public var to: String
    /// The recipient's display name, if known (may be non-ASCII; the transport encodes it).
    public var toName: String?
    /// The subject line (may be non-ASCII; the transport encodes it).
    public var subject: String
    /// The plain-text part.
    public var text: String
    /// The HTML part.
    public var html: String

    public init(to: String, toName: String? = nil, subject: String, text: String, html: String) {
        self.to = to
        self.toName = toName
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// Why a delivery failed, as far as retrying is concerned.
public enum MailDeliveryError: Error, Sendable, Equatable {
    /// Worth retrying later: connection refused or lost, timeouts, TLS hiccups, 4xx replies.
    case transient(String)
    /// Retrying cannot help: a 5xx reply (mailbox unknown, message refused, auth rejected).
    case permanent(String)
}

/// Delivers one mail. Implementations: ``LogMailTransport`` (development) and the SMTP client.
///
/// `send` throws ``MailDeliveryError`` (any other error counts as transient). It never logs
/// credentials.
public protocol MailTransport: Sendable {
    func send(_ mail: OutgoingMail) async throws
}

/// Development transport: writes each mail's subject and text part to the server log, clearly
/// marked, so an operator can pass a link on. Chosen by `STOA_MAIL=log`, or used when no SMTP
/// server is configured (Stoa then warns at start-up).
public struct LogMailTransport: MailTransport {
    let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public func send(_ mail: OutgoingMail) async throws {
        // `link` on its own, so an operator (or a test) can find it in a text log line.
        let link = mail.text.split(separator: "\n").first { $0.hasPrefix("http://") || $0.hasPrefix("https://") }.map(String.init) ?? ""
        logger.notice("[mail:log-only] \(mail.subject)",
                      metadata: ["to": "\(mail.to)", "link": "\(link)", "text": "\(mail.text)"])
    }
}

/// Keeps delivered mails in memory; for tests. `failNext` makes the next deliveries throw.
public actor MemoryMailTransport: MailTransport {
    public private(set) var delivered: [OutgoingMail] = []
    private var failures: [MailDeliveryError] = []
    public init() {}

    public func send(_ mail: OutgoingMail) async throws {
        if !failures.isEmpty { throw failures.removeFirst() }
        delivered.append(mail)
    }

    /// Makes the next `errors.count` deliveries fail with these errors, in order.
    public func failNext(_ errors: [MailDeliveryError]) { failures.append(contentsOf: errors) }

    /// The mails delivered so far, once there are at least `count`, or what there is after `timeout`.
    public func delivered(atLeast count: Int, timeout: Duration = .seconds(5)) async -> [OutgoingMail] {
        let deadline = ContinuousClock.now + timeout
        while delivered.count < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return delivered
    }
}
