import Foundation
import Identity

/// The mails a test app sent, read from the ``MemoryMailTransport`` its mail worker delivers to.
struct TestMailbox: Sendable {
    let transport = MemoryMailTransport()

    /// One delivered mail and the link in it.
    struct Sent: Sendable {
        let mail: OutgoingMail
        var email: String { mail.to }
        /// The first link of the text part (every Stoa mail has exactly one).
        var url: String { TestMailbox.link(in: mail.text) ?? "" }
    }

    /// The mails delivered so far, once there are at least `count` (the worker sends them off the
    /// request path), or what there is after `timeout` (generous: the whole suite runs in parallel
    /// on two cores, and a mail that comes returns at once).
    func sent(atLeast count: Int, timeout: Duration = .seconds(30)) async -> [Sent] {
        await transport.delivered(atLeast: count, timeout: timeout).map(Sent.init)
    }

    /// What has been delivered now, without waiting.
    func sentNow() async -> [Sent] { await transport.delivered.map(Sent.init) }

    static func link(in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("http://") || $0.hasPrefix("https://") }.map(String.init)
    }
}
