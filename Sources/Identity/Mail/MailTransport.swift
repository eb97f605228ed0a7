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
