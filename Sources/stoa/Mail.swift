import ArgumentParser

/// `stoa mail`: the outbox of password-reset, verification and change-of-email mails, and a
/// test of the configured transport.
struct Mail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Look after outgoing mail: list the outbox, retry a mail, test the transport (STOA_SMTP_URL, STOA_MAIL_FROM).",
        subcommands: [MailList.self, MailRetry.self, MailTest.self])
}
