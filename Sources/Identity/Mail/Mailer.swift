import Logging

/// Sends the emails auth flows need. A real transport comes later; ``LogMailer`` is the default.
public protocol Mailer: Sendable {
    /// Sends a password-reset link to `email`.
    func sendPasswordReset(to email: String, userID: String, url: String) async throws
}

/// Writes mails to the server log, clearly marked, so an operator can pass the link on.
/// It logs the link only — passwords never reach a mailer.
public struct LogMailer: Mailer {
    let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public func sendPasswordReset(to email: String, userID: String, url: String) async throws {
        logger.notice("[mail:log-only] password reset link (no mail transport configured)",
                      metadata: ["user": "\(userID)", "link": "\(url)"])
    }
}

/// Keeps mails in memory; for tests.
public actor MemoryMailer: Mailer {
    public struct Sent: Sendable { public let email: String; public let userID: String; public let url: String }
    public private(set) var sent: [Sent] = []
    public init() {}
    public func sendPasswordReset(to email: String, userID: String, url: String) async throws {
        sent.append(Sent(email: email, userID: userID, url: url))
    }

    /// The mails sent so far, once there are at least `count` (mail goes out off the request
    /// path), or what there is after `timeout`.
    public func sent(atLeast count: Int, timeout: Duration = .seconds(5)) async -> [Sent] {
        let deadline = ContinuousClock.now + timeout
        while sent.count < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return sent
    }
}
