import Foundation
import StoaCore
import Testing

/// `STOA_MAIL`, `STOA_SMTP_URL`, `STOA_MAIL_FROM`, `STOA_SMTP_CA_FILE`.
@Suite struct MailSettingsTests {
    static func load(_ env: [String: String]) throws -> MailSettings {
        try StoaConfiguration.load(environment: env, dotEnvPath: nil).mail
    }

    static func error(_ env: [String: String]) -> String? {
        do {
            _ = try load(env)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("nothing set: the log transport, not chosen explicitly") func defaults() throws {
        let mail = try Self.load([:])
        #expect(mail.transport == .log && !mail.transportExplicit && mail.smtp == nil && mail.from == nil)
        #expect(try Self.load(["STOA_MAIL": "log"]).transportExplicit)
    }

    @Test("smtp:// means STARTTLS on 587, smtps:// implicit TLS on 465; credentials percent-decoded") func urls() throws {
        let a = try SMTPSettings.parse("smtp://user:pass@smtp.example.com")
        #expect(a == SMTPSettings(host: "smtp.example.com", port: 587, security: .startTLS, username: "user", password: "pass"))
        let b = try SMTPSettings.parse("smtps://apikey:p%40ss%3Aw%C3%B6rd%20x@Mail.Example.COM")
        #expect(b.port == 465 && b.security == .implicitTLS && b.host == "mail.example.com")
        #expect(b.username == "apikey" && b.password == "p@ss:wörd x")
        let c = try SMTPSettings.parse("smtp://relay.internal:2525")
        #expect(c.port == 2525 && c.username == nil && c.password == nil && c.security == .startTLS)
        let d = try SMTPSettings.parse("smtp://u%40x.com:pw@smtp.example.com:25?starttls=on")
        #expect(d.username == "u@x.com" && d.port == 25 && d.security == .startTLS)
        let e = try SMTPSettings.parse("smtp://[::1]:2525?starttls=off")
        #expect(e.host == "::1" && e.security == SMTPSettings.Security.none)
    }

    @Test("starttls=off only for loopback hosts") func loopbackRule() throws {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]"] {
            #expect(try SMTPSettings.parse("smtp://\(host):25?starttls=off").security == SMTPSettings.Security.none, "\(host)")
        }
        for host in ["10.0.0.1", "128.0.0.1", "127.0.0.1.evil.com", "localhost.evil.com", "smtp.example.com", "[::2]", "[::ffff:127.0.0.1]", "0.0.0.0", "1277.0.0.1"] {
            do {
                _ = try SMTPSettings.parse("smtp://u:hunter2secret@\(host):25?starttls=off")
                Issue.record("accepted starttls=off for \(host)")
            } catch {
                #expect("\(error)".contains("not a loopback host") || "\(error)".contains("invalid host"), "\(host): \(error)")
                #expect(!"\(error)".contains("hunter2secret"))
            }
        }
        #expect(SMTPSettings.isLoopback("127.255.255.254") && !SMTPSettings.isLoopback("127.0.0") && !SMTPSettings.isLoopback("127.0.0.256"))
    }

    @Test("bad URLs are one sentence naming STOA_SMTP_URL, never with the password") func badURLs() {
        let cases: [(String, String)] = [
            ("http://u:hunter2secret@smtp.example.com", "must start with smtp:// or smtps://"),
            ("smtp://u:hunter2secret@", "has no host"),
            ("smtp://u:hunter2secret@smtp.example.com/path", "must not have a path"),
            ("smtp://u:hunter2secret@smtp.example.com:0", "invalid port"),
            ("smtp://u:hunter2secret@smtp.example.com:99999", "STOA_SMTP_URL"),
            ("smtp://u:hunter2secret@smtp.example.com?tls=yes", "unknown parameter"),
            ("smtp://u:hunter2secret@smtp.example.com?starttls=maybe", "use on or off"),
            ("smtps://u:hunter2secret@127.0.0.1?starttls=off", "implicit TLS has no STARTTLS"),
            ("smtp://:hunter2secret@smtp.example.com", "password but no user name"),
            ("smtp://user@smtp.example.com", "user name but no password"),
            ("smtp://u:hunter2secret%0D%0A@smtp.example.com", "control characters"),
            ("smtp://u:hunter2secret%ZZ@smtp.example.com", "STOA_SMTP_URL"),
            ("smtp://u:hunter2secret@smtp.exa mple.com", "spaces or control characters"),
            ("smtp://u:hunter2secret@smtp.example.com\r\n", "STOA_SMTP_URL"),
            ("not a url at all", "STOA_SMTP_URL"),
            (String(repeating: "smtp://", count: 5000), "STOA_SMTP_URL"),
        ]
        for (url, needle) in cases {
            guard let message = Self.error(["STOA_SMTP_URL": url, "STOA_MAIL_FROM": "a@example.com"]) else {
                Issue.record("accepted \(url.prefix(60))")
                continue
            }
            #expect(message.contains(needle), "\(url.prefix(60)): \(message)")
            #expect(!message.contains("hunter2secret"), "\(url.prefix(60)): \(message)")
        }
    }

    @Test("the redacted form hides the password") func redacted() throws {
        let s = try SMTPSettings.parse("smtp://us%40er:hunter2secret@smtp.example.com:587")
        #expect(s.redacted == "smtp://us%40er:***@smtp.example.com:587")
        #expect("\(s)" == s.redacted && !"\(s)".contains("hunter2secret"))
        #expect(try SMTPSettings.parse("smtps://h.example").redacted == "smtps://h.example:465")
        #expect(try SMTPSettings.parse("smtp://[::1]:25?starttls=off").redacted == "smtp://[::1]:25?starttls=off")
    }

    @Test("STOA_MAIL: smtp needs a URL; a URL alone means smtp; smtp needs STOA_MAIL_FROM") func transportChoice() throws {
        let smtp = try Self.load(["STOA_SMTP_URL": "smtp://u:p@smtp.example.com", "STOA_MAIL_FROM": "Stoa <stoa@example.com>"])
        #expect(smtp.transport == .smtp && smtp.from == MailAddress(name: "Stoa", address: "stoa@example.com"))
        let forcedLog = try Self.load(["STOA_MAIL": "log", "STOA_SMTP_URL": "smtp://u:p@smtp.example.com"])
        #expect(forcedLog.transport == .log && forcedLog.transportExplicit)
        #expect(Self.error(["STOA_MAIL": "smtp"])?.contains("STOA_MAIL=smtp needs STOA_SMTP_URL") == true)
        #expect(Self.error(["STOA_MAIL": "carrier-pigeon"])?.contains("STOA_MAIL must be smtp or log") == true)
        #expect(Self.error(["STOA_SMTP_URL": "smtp://u:hunter2secret@smtp.example.com"])?.contains("STOA_MAIL_FROM is required") == true)
        #expect(Self.error(["STOA_SMTP_URL": "smtp://u:p@smtp.example.com", "STOA_MAIL_FROM": "not an address"])?.contains("STOA_MAIL_FROM must be an address") == true)
        #expect(Self.error(["STOA_SMTP_CA_FILE": "/nonexistent/ca.pem"])?.contains("STOA_SMTP_CA_FILE") == true)
    }

    @Test("STOA_MAIL_FROM forms, and hostile ones") func fromAddress() {
        #expect(MailAddress.parseMailbox("stoa@example.com") == MailAddress(address: "stoa@example.com"))
        #expect(MailAddress.parseMailbox("Stoa Team <stoa@example.com>") == MailAddress(name: "Stoa Team", address: "stoa@example.com"))
        #expect(MailAddress.parseMailbox("\"Stoa, \\\"the\\\" app\" <stoa@example.com>") == MailAddress(name: "Stoa, \"the\" app", address: "stoa@example.com"))
        #expect(MailAddress.parseMailbox("Zoë <zoe@example.com>")?.name == "Zoë")
        for bad in ["", "stoa", "@example.com", "stoa@", "Stoa <stoa@example.com", "Stoa <>", "a@b@c", "Stoa <a@example.com>\r\nBcc: x@y.z",
                    "a\nb@example.com", "<a@example.com> <b@example.com>", "a..b@example.com", ".a@example.com", "a@-example.com",
                    "a@example..com", "a b@example.com", "a@exa_mple.com", String(repeating: "a", count: 65) + "@example.com",
                    "a@" + String(repeating: "b", count: 64) + ".com", "ü@example.com", "a@[127.0.0.1]", "\"a b\"@example.com"] {
            #expect(MailAddress.parseMailbox(bad) == nil, "\(bad.prefix(60))")
        }
        #expect(MailAddress.isValid("first.last+tag@sub.example.co.uk"))
        #expect(MailAddress.isValid("root@localhost"))
        #expect(MailAddress(address: "a@mail.example.com").domain == "mail.example.com")
    }
}
