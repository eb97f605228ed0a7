import ArgumentParser

/// `stoa mail`: the outbox of password-reset, verification and change-of-email mails.
struct Mail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Look after outgoing mail: list the outbox, retry a mail.",
        subcommands: [MailList.self, MailRetry.self])
}
