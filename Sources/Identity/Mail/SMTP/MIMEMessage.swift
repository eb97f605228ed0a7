import Foundation
import StoaCore

/// Turns an ``OutgoingMail`` into an RFC 5322 / MIME message: `multipart/alternative` with a
/// UTF-8 text part and a UTF-8 HTML part, both quoted-printable; non-ASCII names and subjects as
/// RFC 2047 encoded-words, folded so no header line passes 76 characters.
///
/// Header injection: control characters (CR, LF, NUL, …) in a subject or display name are
/// replaced by spaces before encoding, so they can never end a header line; addresses must pass
/// ``MailAddress/isValid(_:)`` or ``compose`` throws.
public enum MIMEMessage {
    public struct InvalidAddress: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The whole message with CRLF line endings (not yet dot-stuffed).
    public static func compose(
        _ mail: OutgoingMail, from: MailAddress, date: Date = Date(),
        messageID: String? = nil, boundary: String? = nil
    ) throws(InvalidAddress) -> String {
        guard MailAddress.isValid(from.address) else {
            throw InvalidAddress(description: "the sender address \"\(sanitized(from.address).prefix(80))\" is not a valid address")
        }
        guard MailAddress.isValid(mail.to) else {
            throw InvalidAddress(description: "the recipient address \"\(sanitized(mail.to).prefix(80))\" is not a valid address")
        }
        let id = messageID ?? "<\(RandomID.hex(bytes: 16))@\(from.domain)>"
        let text = quotedPrintable(mail.text)
        let html = quotedPrintable(mail.html)
        var boundary = boundary ?? "stoa-\(RandomID.hex(bytes: 12))"
        while text.contains(boundary) || html.contains(boundary) { boundary = "stoa-\(RandomID.hex(bytes: 12))" }

        var lines: [String] = []
        lines.append(mailboxHeader("From", from))
        lines.append(mailboxHeader("To", MailAddress(name: mail.toName, address: mail.to)))
        lines.append(unstructuredHeader("Subject", mail.subject))
        lines.append("Date: \(rfc5322Date(date))")
        lines.append("Message-ID: \(id)")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines.append("")
        lines.append("--\(boundary)")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        lines.append("")
        lines.append(text)
        lines.append("--\(boundary)")
        lines.append("Content-Type: text/html; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        lines.append("")
        lines.append(html)
        lines.append("--\(boundary)--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    // MARK: Headers

    /// Control characters (C0, DEL, C1, line and paragraph separators) become spaces.
    static func sanitized(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { scalar in
            let v = scalar.value
            return v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x2028 || v == 0x2029 ? " " : scalar
        }))
    }

    /// Whether `s` can go into a header as it is: printable ASCII, no `=?` (which a reader would
    /// take for an encoded-word), no leading, trailing or doubled spaces (unfolding keeps them,
    /// but readers trim them).
    private static func isPlainASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { (0x20...0x7E).contains($0) } && !s.contains("=?") && !s.contains("?=")
            && !s.hasPrefix(" ") && !s.hasSuffix(" ") && !s.contains("  ")
    }

    /// `Name: value`, folded at spaces when plain ASCII, else as encoded-words.
    static func unstructuredHeader(_ name: String, _ rawValue: String) -> String {
        let value = sanitized(rawValue)
        let prefix = "\(name): "
        if isPlainASCII(value) {
            let words = value.split(separator: " ").map(String.init)
            if words.allSatisfy({ $0.count <= 76 - 1 - prefix.count }) { return fold(prefix: prefix, words: words) }
        }
        return fold(prefix: prefix, words: encodedWords(value, firstLineBudget: 76 - prefix.count))
    }

    /// `From: "Name" <addr>` / `To: =?utf-8?B?…?= <addr>`; the address alone when there is no name.
    static func mailboxHeader(_ name: String, _ mailbox: MailAddress) -> String {
        let prefix = "\(name): "
        let displayName = mailbox.name.map(sanitized)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !displayName.isEmpty else { return prefix + mailbox.address }
        var words: [String]
        if displayName.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) && !displayName.contains("=?") && displayName.utf8.count <= 60 {
            let escaped = displayName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            words = ["\"\(escaped)\""]
        } else {
            words = encodedWords(displayName, firstLineBudget: 76 - prefix.count)
        }
        words.append("<\(mailbox.address)>")
        return fold(prefix: prefix, words: words)
    }

    /// Joins `words` with spaces, starting a continuation line (CRLF + space) before a word that
    /// would take the line past 76 characters.
    private static func fold(prefix: String, words: [String]) -> String {
        var result = prefix
        var lineLength = prefix.count
        for (i, word) in words.enumerated() {
            if i == 0 {
                result += word
                lineLength += word.count
            } else if lineLength + 1 + word.count > 76 {
                result += "\r\n " + word
                lineLength = 1 + word.count
            } else {
                result += " " + word
                lineLength += 1 + word.count
            }
        }
        return result
    }

    /// RFC 2047 `=?utf-8?B?…?=` words, each at most 75 characters (the first one shorter when
    /// `firstLineBudget` says so), split between characters, never inside a UTF-8 sequence.
    static func encodedWords(_ s: String, firstLineBudget: Int = 75) -> [String] {
        func maxBytes(forWordLength length: Int) -> Int { max(3, ((length - 12) / 4) * 3) }
        var words: [String] = []
        var chunk: [UInt8] = []
        var budget = maxBytes(forWordLength: min(75, firstLineBudget))
        for scalar in s.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > budget, !chunk.isEmpty {
                words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
                budget = maxBytes(forWordLength: 75 - 1)
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words
    }

    // MARK: Body

    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text: line breaks (LF, CRLF or CR) become CRLF,
    /// lines are at most 76 characters (soft breaks `=`), trailing spaces and tabs are encoded.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var encoded: [String] = []
            for (i, byte) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast) {
                    encoded.append(String(UnicodeScalar(byte)))
                } else {
                    let hex = Array("0123456789ABCDEF")
                    encoded.append("=\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0F)])")
                }
            }
            // Soft line breaks: at most 75 characters then "=", never inside an "=XX".
            var physical = ""
            for token in encoded {
                if physical.count + token.count > 75 {
                    out.append(physical + "=")
                    physical = ""
                }
                physical += token
            }
            out.append(physical)
        }
        return out.joined(separator: "\r\n")
    }

    /// `Mon, 07 Dec 2026 04:16:08 +0000`, in UTC, independent of the locale.
    static func rfc5322Date(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(Int(parts.tm_year) + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }

    /// The DATA payload: dot-stuffed (a line starting with "." gets another), CRLF line endings
    /// (bare CR or LF become CRLF), ending with the `CRLF.CRLF` terminator.
    public static func dataPayload(_ message: String) -> [UInt8] {
        let normalized = message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [UInt8] = []
        out.reserveCapacity(normalized.utf8.count + 64)
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for line in lines {
            if line.hasPrefix(".") { out.append(UInt8(ascii: ".")) }
            out += line.utf8
            out += [13, 10]
        }
        out += Array(".\r\n".utf8)
        return out
    }
}
