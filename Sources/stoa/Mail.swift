import ArgumentParser

/// `stoa mail …`: the mail transport.
struct Mail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Mail: test the configured transport (STOA_SMTP_URL, STOA_MAIL_FROM).",
        subcommands: [MailTest.self])
}
