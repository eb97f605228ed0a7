import ArgumentParser
import Foundation
import Identity
import StoaCore

/// `stoa mail test TO [--subject S]`: sends one mail through the configured transport and says
/// what happens at each step; exits non-zero when the mail does not go out.
struct MailTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test mail through the configured transport (STOA_SMTP_URL, STOA_MAIL_FROM, STOA_SMTP_CA_FILE).",
        discussion: "Prints each step (connecting, STARTTLS, AUTH, sent) and exits non-zero on failure. The password is never printed.")

    @Argument(help: "The recipient's address.") var to: String
    @Option(help: "The subject (default: \"Stoa test mail\").") var subject: String?
    @Option(help: "The recipient's display name.") var name: String?
    @Option(help: "The text part instead of the built-in one (to check how a body comes through).") var text: String?
    @Option(help: "The HTML part instead of the built-in one.") var html: String?

    func run() async throws {
        let config = try CLI.loadConfiguration()
        let logger = CLI.commandLogging(config)
        guard MailAddress.isValid(to) else { CLI.fail("\"\(to.prefix(80))\" is not a valid address") }
        let transport: any MailTransport
        do {
            transport = try MailTransportFactory.make(configuration: config, logger: logger)
        } catch {
            CLI.fail(error.description)
        }
        let sentAt = ISO8601.string(from: Date())
        let mail = OutgoingMail(
            to: to, toName: name, subject: subject ?? "Stoa test mail",
            text: text ?? "This is a test mail from Stoa (stoa mail test), sent at \(sentAt).\nIf you can read it, mail delivery works.\n",
            html: html ?? "<p>This is a test mail from Stoa (<code>stoa mail test</code>), sent at \(sentAt).</p><p>If you can read it, mail delivery works.</p>\n")
        guard var smtp = transport as? SMTPMailTransport else {
            CLI.fail("no mail server configured (STOA_MAIL=log): nothing was sent. Set STOA_SMTP_URL and STOA_MAIL_FROM to send mail.")
        }
        smtp.progress = { line in print(line) }
        let started = ContinuousClock.now
        do {
            try await smtp.send(mail)
        } catch let error as MailDeliveryError {
            switch error {
            case .transient(let message): CLI.fail("not sent (temporary failure, would be retried): \(message)")
            case .permanent(let message): CLI.fail("not sent (permanent failure): \(message)")
            }
        }
        let elapsed = ContinuousClock.now - started
        let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        print("done: test mail sent to \(to) in \(ms) ms")
    }
}
