import Foundation
@testable import Identity
import StoaCore
import Testing

/// The RFC 5322 / MIME composer of the SMTP transport.
@Suite struct MIMEMessageTests {
    static let from = MailAddress(name: "Stoa", address: "stoa@example.com")

    static func compose(_ mail: OutgoingMail) throws -> String {
        try MIMEMessage.compose(mail, from: from, date: Date(timeIntervalSince1970: 1_796_616_968), // Mon, 07 Dec 2026 04:16:08
                                messageID: "<id@example.com>", boundary: "BOUNDARY")
    }

    /// Headers (unfolded) of a composed message, in order.
    static func headers(_ message: String) -> [(String, String)] {
        let head = message.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        return head.components(separatedBy: "\r\n").map { line in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
    }

    /// Decodes RFC 2047 B encoded-words (adjacent words joined), for round-trip checks.
    static func decodeWords(_ value: String) -> String {
        var result = ""
        var pending = Data()
        for token in value.split(separator: " ") {
            if token.hasPrefix("=?utf-8?B?"), token.hasSuffix("?=") {
                pending += Data(base64Encoded: String(token.dropFirst(10).dropLast(2)))!
            } else {
                if !pending.isEmpty { result += (result.isEmpty ? "" : " ") + String(decoding: pending, as: UTF8.self); pending = Data() }
                result += (result.isEmpty ? "" : " ") + token
            }
        }
        if !pending.isEmpty { result += (result.isEmpty ? "" : " ") + String(decoding: pending, as: UTF8.self) }
        return result
    }

    static func decodeQP(_ body: String) -> String {
        var bytes: [UInt8] = []
        let lines = body.components(separatedBy: "\r\n")
        for (i, line) in lines.enumerated() {
            var chars = Array(line.utf8)
            let soft = chars.last == UInt8(ascii: "=")
            if soft { chars.removeLast() }
            var j = 0
            while j < chars.count {
                if chars[j] == UInt8(ascii: "="), j + 2 < chars.count + 0, let v = UInt8(String(decoding: chars[(j + 1)...(j + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(v)
                    j += 3
                } else {
                    bytes.append(chars[j])
                    j += 1
                }
            }
            if !soft, i < lines.count - 1 { bytes.append(10) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("structure: headers, multipart/alternative, both parts quoted-printable UTF-8, CRLF only") func structure() throws {
        let message = try Self.compose(OutgoingMail(to: "alice@example.com", toName: "Alice", subject: "Welcome", text: "Hi Alice\n", html: "<p>Hi</p>"))
        #expect(message.hasSuffix("--BOUNDARY--\r\n"))
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\n") && !message.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let h = Self.headers(message)
        #expect(h.map(\.0) == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"])
        #expect(h[0].1 == "\"Stoa\" <stoa@example.com>")
        #expect(h[1].1 == "\"Alice\" <alice@example.com>")
        #expect(h[2].1 == "Welcome")
        #expect(h[3].1 == "Mon, 07 Dec 2026 04:16:08 +0000")
        #expect(h[4].1 == "<id@example.com>")
        #expect(h[6].1 == "multipart/alternative; boundary=\"BOUNDARY\"")
        #expect(message.contains("\r\n\r\n--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHi Alice\r\n\r\n--BOUNDARY\r\n"))
        #expect(message.contains("--BOUNDARY\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hi</p>\r\n--BOUNDARY--\r\n"))
        let plain = try MIMEMessage.compose(OutgoingMail(to: "bob@example.com", subject: "x", text: "", html: ""), from: MailAddress(address: "n@example.org"))
        #expect(plain.contains("\r\nTo: bob@example.com\r\n") && plain.hasPrefix("From: n@example.org\r\n"))
        #expect(plain.range(of: #"Message-ID: <[0-9a-f]{32}@example\.org>"#, options: .regularExpression) != nil)
    }

    @Test("dates are RFC 5322 in UTC, whatever the locale") func dates() {
        #expect(MIMEMessage.rfc5322Date(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MIMEMessage.rfc5322Date(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }

    @Test("non-ASCII subjects and names: encoded-words that decode back exactly, folded within 76") func encodedWords() throws {
        let subjects = ["Grüße", "日本語のメールの件名はとても長くなることがありますので、正しく折り返す必要があります。本当に長い件名です。",
                        "Ünïcødé " + String(repeating: "ä", count: 200), "emoji 👩‍👩‍👧‍👦🏳️‍🌈 mix", "a  double   space", " leading", "trailing ",
                        "looks like =?utf-8?B?encoded?= but is not", String(repeating: "x", count: 300), "plain ascii subject that is quite long and needs folding at a space somewhere in it"]
        for subject in subjects {
            let message = try Self.compose(OutgoingMail(to: "a@example.com", toName: "Zoë 山田 " + subject.prefix(40), subject: subject, text: "", html: ""))
            let head = message.components(separatedBy: "\r\n\r\n")[0]
            for line in head.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76, "\(line)") }
            let h = Self.headers(message)
            let decoded = h[2].1.hasPrefix("=?") ? Self.decodeWords(h[2].1) : h[2].1
            #expect(decoded == subject)
            let to = h[1].1
            let namePart = String(to[..<to.range(of: " <a@example.com>")!.lowerBound])
            let name = namePart.hasPrefix("\"") ? String(namePart.dropFirst().dropLast()) : Self.decodeWords(namePart)
            #expect(name == "Zoë 山田 " + subject.prefix(40).trimmingCharacters(in: .whitespaces) || name == ("Zoë 山田 " + subject.prefix(40)).trimmingCharacters(in: .whitespaces))
        }
        // Each encoded-word at most 75 characters, never splitting a UTF-8 sequence.
        for word in MIMEMessage.encodedWords(String(repeating: "ü€😀", count: 50)) {
            #expect(word.count <= 75)
            let payload = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!
            #expect(String(data: payload, encoding: .utf8) != nil)
        }
    }

    @Test("hostile subjects and names never add a header") func headerInjection() throws {
        let hostile = ["Hi\r\nBcc: evil@attacker.example", "Hi\nBcc: evil@attacker.example", "Hi\rBcc: x@y.z", "a\u{0}b\u{7}c\u{1B}d\u{7F}",
                       "Hi\u{85}Bcc: x@y.z", "Hi\u{2028}Bcc: x@y.z", "\r\n\r\nbody injection", String(repeating: "\r\n", count: 500)]
        for value in hostile {
            let message = try Self.compose(OutgoingMail(to: "a@example.com", toName: value, subject: value, text: "t", html: "h"))
            let names = Self.headers(message).map(\.0)
            #expect(names == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"], "\(value.debugDescription)")
            let head = message.components(separatedBy: "\r\n\r\n")[0]
            #expect(!head.contains("Bcc:") || head.contains("Subject: Hi Bcc:") || head.contains("=?utf-8?B?"), "\(head)")
            for scalar in head.unicodeScalars { #expect(scalar.value >= 0x20 || scalar == "\r" || scalar == "\n") }
        }
        // Bad addresses are refused before anything is built.
        for bad in ["a@example.com\r\nBcc: x@y.z", "a@example.com>", "<a@example.com", "a@example.com,b@example.com", "", "a b@example.com"] {
            #expect(throws: MIMEMessage.InvalidAddress.self) {
                _ = try MIMEMessage.compose(OutgoingMail(to: bad, subject: "s", text: "t", html: "h"), from: Self.from)
            }
        }
        #expect(throws: MIMEMessage.InvalidAddress.self) {
            _ = try MIMEMessage.compose(OutgoingMail(to: "a@example.com", subject: "s", text: "t", html: "h"),
                                        from: MailAddress(address: "x@y.z\r\nBcc: q@r.s"))
        }
    }

    @Test("quoted-printable: round trip, lines within 76, trailing spaces and '=' encoded") func quotedPrintable() {
        let texts = ["plain", "Grüße, Zoë! 日本 😀", "trailing   \nspaces\t\nend", "a=b", String(repeating: "x", count: 500),
                     String(repeating: "ü", count: 100), "crlf\r\nand\rcr\nlf", "", "\n\n", "ends with newline\n", ".\n..\n. x", "=\n=\r\n=3D"]
        for text in texts {
            let encoded = MIMEMessage.quotedPrintable(text)
            for line in encoded.components(separatedBy: "\r\n") {
                #expect(line.utf8.count <= 76, "\(line)")
                #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
                #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
            }
            let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            #expect(Self.decodeQP(encoded) == normalized, "\(text.debugDescription)")
        }
    }

    @Test("DATA payload: dot-stuffing, CRLF line endings, the terminator") func dotStuffing() {
        let payload = String(decoding: MIMEMessage.dataPayload("a\r\n.\r\n..b\n.c\rd\r\n"), as: UTF8.self)
        #expect(payload == "a\r\n..\r\n...b\r\n..c\r\nd\r\n.\r\n")
        #expect(String(decoding: MIMEMessage.dataPayload("x"), as: UTF8.self) == "x\r\n.\r\n")
        // A body line of a single dot cannot end the message early.
        let message = String(decoding: MIMEMessage.dataPayload("Subject: s\r\n\r\nfirst\r\n.\r\nafter"), as: UTF8.self)
        #expect(message.components(separatedBy: "\r\n.\r\n").count == 2)
    }
}
