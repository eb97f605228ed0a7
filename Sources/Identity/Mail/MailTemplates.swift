import Foundation

/// The text and HTML of the mails Stoa sends: password reset, email verification and the
/// verification of a new address. Small and plain; every value from a user (the name, the
/// addresses) is escaped exactly once in the HTML part, and the link is the only secret in them.
public struct MailTemplates: Sendable {
    /// `STOA_APP_NAME`, in subjects, greetings and signatures.
    public var appName: String

    public init(appName: String = "Stoa") { self.appName = appName.isEmpty ? "Stoa" : appName }

    /// The reset-password mail (the link is valid for an hour).
    public func resetPassword(to email: String, name: String?, url: String) -> OutgoingMail {
        render(to: email, name: name, subject: "Reset your \(appName) password",
               lines: ["Someone asked to reset the password of your \(appName) account (\(email)).",
                       "To choose a new password, open this link within an hour:"],
               url: url, button: "Choose a new password",
               after: "If you did not ask for this, ignore this mail: your password stays as it is.")
    }

    /// The verification mail for the address an account was made with.
    public func verifyEmail(to email: String, name: String?, url: String) -> OutgoingMail {
        render(to: email, name: name, subject: "Verify your email for \(appName)",
               lines: ["Please confirm that \(email) is your address for \(appName).",
                       "Open this link within an hour to verify it:"],
               url: url, button: "Verify my email",
               after: "If you did not make an account with \(appName), ignore this mail.")
    }

    /// The verification mail sent to the new address when a user changes theirs.
    public func changeEmail(to newEmail: String, name: String?, url: String) -> OutgoingMail {
        render(to: newEmail, name: name, subject: "Confirm your new email for \(appName)",
               lines: ["Someone asked to change the email of a \(appName) account to \(newEmail).",
                       "Open this link within an hour to confirm the change:"],
               url: url, button: "Confirm my new email",
               after: "If you did not ask for this, ignore this mail: nothing changes until the link is followed.")
    }

    func render(to email: String, name: String?, subject: String, lines: [String], url: String, button: String, after: String) -> OutgoingMail {
        let greeting = name.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : "Hello \(Self.oneLine($0))," } ?? "Hello,"
        let text = ([greeting, ""] + lines + ["", url, "", after, "", "— \(appName)", ""]).joined(separator: "\n")
        let paragraphs = lines.map { "<p>\(Self.escape($0))</p>" }.joined(separator: "\n")
        let link = Self.escape(url)
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(subject))</title></head>
            <body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;line-height:1.5;color:#1f2328;max-width:36rem;margin:0 auto;padding:1.5rem">
            <p>\(Self.escape(greeting))</p>
            \(paragraphs)
            <p><a href="\(link)" style="display:inline-block;padding:.6rem 1rem;background:#2f6f4f;color:#fff;border-radius:6px;text-decoration:none">\(Self.escape(button))</a></p>
            <p style="font-size:.9em;color:#57606a">Or copy this address into your browser:<br><span style="word-break:break-all">\(link)</span></p>
            <p style="font-size:.9em;color:#57606a">\(Self.escape(after))</p>
            <p>— \(Self.escape(appName))</p>
            </body></html>

            """
        return OutgoingMail(to: email, toName: name.map(Self.oneLine), subject: Self.oneLine(subject), text: text, html: html)
    }

    /// `text` with line breaks and other control characters turned into spaces (a name or
    /// subject never starts a new line in a mail).
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0 }))
    }

    /// HTML-escapes text for element content and double-quoted attributes.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
