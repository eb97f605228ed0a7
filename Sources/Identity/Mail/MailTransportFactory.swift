import Logging
import StoaCore

/// Builds the configured ``MailTransport``; shared by `stoa serve` and `stoa mail test`.
public enum MailTransportFactory {
    /// ``SMTPMailTransport`` for `STOA_MAIL=smtp`, else ``LogMailTransport``. When the log
    /// transport was not asked for (no `STOA_SMTP_URL`), logs one warning that reset and
    /// verification links go to the server log. Throws for an unusable `STOA_SMTP_CA_FILE`.
    public static func make(configuration: StoaConfiguration, logger: Logger) throws(ConfigurationError) -> any MailTransport {
        let mail = configuration.mail
        switch mail.transport {
        case .smtp:
            guard let smtp = mail.smtp else { throw ConfigurationError("STOA_MAIL=smtp needs STOA_SMTP_URL") }
            guard let from = mail.from else { throw ConfigurationError("STOA_MAIL_FROM is required when mail goes out over SMTP") }
            let transport = try SMTPMailTransport(settings: smtp, from: from, caFile: mail.caFile, logger: logger)
            logger.info("mail goes out over SMTP", metadata: ["smtp": "\(smtp.redacted)", "from": "\(from.address)"])
            return transport
        case .log:
            if !mail.transportExplicit {
                logger.warning("no mail server configured (STOA_SMTP_URL): password-reset and verification links go to the server log, marked [mail:log-only]")
            }
            return LogMailTransport(logger: logger)
        }
    }
}
