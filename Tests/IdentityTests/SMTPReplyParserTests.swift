import Identity
import Testing

/// The SMTP client's reply parser, fed hostile bytes.
@Suite struct SMTPReplyParserTests {
    static func parse(_ text: String, parser: SMTPReplyParser = SMTPReplyParser()) throws -> [SMTPReply] {
        var parser = parser
        return try parser.feed(Array(text.utf8))
    }

    @Test("single and multi-line replies, CRLF or LF, code-only lines") func forms() throws {
        #expect(try Self.parse("220 smtp.example.com ESMTP ready\r\n") == [SMTPReply(code: 220, lines: ["smtp.example.com ESMTP ready"])])
        let ehlo = try Self.parse("250-smtp.example.com hello\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 SIZE 1000\r\n")
        #expect(ehlo.count == 1 && ehlo[0].code == 250 && ehlo[0].lines.count == 5)
        #expect(ehlo[0].extensions["AUTH"] == ["PLAIN", "LOGIN"] && ehlo[0].extensions["STARTTLS"] == [] && ehlo[0].extensions["SMTP.EXAMPLE.COM"] == nil)
        #expect(try Self.parse("250\n354 go ahead\n") == [SMTPReply(code: 250, lines: [""]), SMTPReply(code: 354, lines: ["go ahead"])])
        #expect(try Self.parse("451 4.3.0 later\r\n")[0].isTransientFailure)
        #expect(try Self.parse("550 no\r\n")[0].isPermanentFailure)
    }

    @Test("bytes arriving one at a time; an incomplete reply stays buffered") func incremental() throws {
        var parser = SMTPReplyParser()
        var replies: [SMTPReply] = []
        for byte in "250-a\r\n250 b\r\n220 c".utf8 { replies += try parser.feed([byte]) }
        #expect(replies == [SMTPReply(code: 250, lines: ["a", "b"])])
        #expect(parser.hasBufferedBytes)
        replies = try parser.feed(Array("\r\n".utf8))
        #expect(replies == [SMTPReply(code: 220, lines: ["c"])] && !parser.hasBufferedBytes)
        _ = try parser.feed(Array("250-first line\r\n".utf8))
        #expect(parser.hasBufferedBytes)
    }

    @Test("malformed lines are errors") func malformed() {
        for text in ["hello\r\n", "25\r\n", "2x0 no\r\n", "250_x\r\n", "600 no\r\n", "150 no\r\n", "250-a\r\n251 b\r\n", "\r\n", " 250 x\r\n", "２５０ x\r\n"] {
            #expect(throws: SMTPReplyError.self, "\(text.debugDescription)") { _ = try Self.parse(text) }
        }
    }

    @Test("bounded: a long line or an endless reply is an error, not memory") func bounds() {
        #expect(throws: SMTPReplyError.lineTooLong(limit: 2_048)) { _ = try Self.parse("220 " + String(repeating: "x", count: 10_000_000)) }
        #expect(throws: SMTPReplyError.tooManyLines(limit: 200)) { _ = try Self.parse(String(repeating: "250-x\r\n", count: 100_000)) }
        #expect(throws: SMTPReplyError.lineTooLong(limit: 16)) {
            _ = try Self.parse("250 " + String(repeating: "y", count: 20) + "\r\n", parser: SMTPReplyParser(maxLineLength: 16, maxLines: 3))
        }
        #expect((try? Self.parse(String(repeating: "250-x\r\n", count: 199) + "250 end\r\n"))?.first?.lines.count == 200)
    }

    @Test("control characters and invalid UTF-8 in reply text are made harmless") func controlCharacters() throws {
        let replies = try SMTPReplyParser().feedCopy(Array("550 bad\u{1B}[31m\u{0}x\r\n".utf8) + [0x35, 0x35, 0x30, 0x20, 0xFF, 0xFE, 0x0D, 0x0A])
        #expect(replies[0].lines == ["bad [31m x"])
        #expect(!replies[1].lines[0].unicodeScalars.contains { $0.value < 0x20 })
        #expect(replies[0].summary == "550 bad [31m x")
    }
}

extension SMTPReplyParser {
    fileprivate func feedCopy(_ bytes: [UInt8]) throws -> [SMTPReply] {
        var copy = self
        return try copy.feed(bytes)
    }
}
