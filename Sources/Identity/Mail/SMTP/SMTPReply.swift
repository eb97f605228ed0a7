/// One SMTP reply: a three-digit code and its text lines (RFC 5321 §4.2).
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    /// The text of each line, without the code and separator.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// `code text` on one line (lines joined with " / "), shortened for messages.
    public var summary: String {
        let text = lines.joined(separator: " / ")
        return "\(code) " + (text.count > 300 ? String(text.prefix(300)) + "…" : text)
    }

    /// EHLO keywords, upper-cased (the first line is the greeting, not an extension).
    public var extensions: [String: [String]] {
        var result: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            result[keyword] = Array(words.dropFirst())
        }
        return result
    }
}

/// Why a server's bytes are not a reply we accept.
public enum SMTPReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    case lineTooLong(limit: Int)
    case tooManyLines(limit: Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .lineTooLong(let limit): "the server sent a reply line longer than \(limit) bytes"
        case .tooManyLines(let limit): "the server sent a reply of more than \(limit) lines"
        case .malformed(let line): "the server sent a malformed reply line \"\(line)\""
        }
    }
}

/// Incremental parser of SMTP replies. Feed it bytes as they arrive; it returns complete
/// replies. Bounded: a line longer than `maxLineLength` or a reply of more than `maxLines` lines
/// is an error, so a hostile server cannot make it buffer without limit.
public struct SMTPReplyParser: Sendable {
    public let maxLineLength: Int
    public let maxLines: Int
    private var buffer: [UInt8] = []
    private var pendingCode: Int? = nil
    private var pendingLines: [String] = []

    public init(maxLineLength: Int = 2_048, maxLines: Int = 200) {
        self.maxLineLength = maxLineLength
        self.maxLines = maxLines
    }

    /// Bytes received but not yet part of a complete reply.
    public var hasBufferedBytes: Bool { !buffer.isEmpty || pendingCode != nil }

    /// Adds `bytes`; returns the replies they complete, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(SMTPReplyError) -> [SMTPReply] where Bytes.Element == UInt8 {
        var replies: [SMTPReply] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                var line = buffer
                buffer.removeAll(keepingCapacity: true)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if let reply = try take(line) { replies.append(reply) }
            } else {
                guard buffer.count < maxLineLength else { throw .lineTooLong(limit: maxLineLength) }
                buffer.append(byte)
            }
        }
        return replies
    }

    private mutating func take(_ line: [UInt8]) throws(SMTPReplyError) -> SMTPReply? {
        let shown = String(decoding: line.prefix(80), as: UTF8.self)
        guard line.count >= 3, line[0...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]) else {
            throw .malformed(shown)
        }
        let code = Int(line[0] - 48) * 100 + Int(line[1] - 48) * 10 + Int(line[2] - 48)
        let separator: UInt8? = line.count > 3 ? line[3] : nil
        guard separator == nil || separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else { throw .malformed(shown) }
        if let pendingCode, pendingCode != code { throw .malformed(shown) }
        let text = line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : ""
        // Replies are shown to operators: no control characters from the server.
        pendingLines.append(String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }))
        guard pendingLines.count <= maxLines else { throw .tooManyLines(limit: maxLines) }
        if separator == UInt8(ascii: "-") {
            pendingCode = code
            return nil
        }
        let reply = SMTPReply(code: code, lines: pendingLines)
        pendingCode = nil
        pendingLines = []
        return reply
    }
}
