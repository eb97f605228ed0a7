extension MarkdownRenderer {
    /// Whether a link (or, with `image`, an image) may point at `url`: http, https, mailto (links
    /// only) or a relative URL — no scheme before the first `/`, `?` or `#`, and not `//host`.
    ///
    /// The URL is judged as written and again after percent- and entity-decoding, each time
    /// lower-cased with whitespace and control characters removed and `\` read as `/`, so
    /// `JaVaScRiPt:`, `java&#x09;script:` and `%6Aavascript:` are refused. A URL that still
    /// decodes further after a few rounds is refused too.
    static func isSafeURL(_ url: [UInt8], image: Bool) -> Bool {
        var decoded = url
        for _ in 0..<4 {
            let next = decodeEntities(percentDecoded(decoded))
            if next == decoded { return hasSafeScheme(url, image: image) && hasSafeScheme(decoded, image: image) }
            decoded = next
        }
        return false
    }

    private static func hasSafeScheme(_ url: [UInt8], image: Bool) -> Bool {
        let compact = url.compactMap { b -> UInt8? in
            b <= ASCII.space || b == ASCII.delete ? nil : b == ASCII.backslash ? ASCII.slash : ASCII.lowercased(b)
        }
        let schemes = image ? ["http:", "https:"] : ["http:", "https:", "mailto:"]
        if schemes.contains(where: { compact.starts(with: $0.utf8) }) { return true }
        if compact.starts(with: "//".utf8) { return false }
        return !compact.prefix { $0 != ASCII.slash && $0 != ASCII.question && $0 != ASCII.hash }.contains(ASCII.colon)
    }

    /// `%XX` → the byte; a `%` not followed by two hex digits stays.
    private static func percentDecoded(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == 0x25, i + 2 < s.count, let high = hexValue(s[i + 1]), let low = hexValue(s[i + 2]) {
                out.append(UInt8(high << 4 | low))
                i += 3
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Numeric references (`&#106;`, `&#x6A`, the `;` optional as browsers allow) and the named
    /// ones that can spell a scheme or a separator.
    private static func decodeEntities(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            guard s[i] == ASCII.ampersand, let (decoded, length) = entity(in: s[(i + 1)...]) else {
                out.append(s[i])
                i += 1
                continue
            }
            out += decoded
            i += 1 + length
        }
        return out
    }

    private static let namedEntities: [String: String] = [
        "colon": ":", "tab": "\t", "newline": "\n", "sol": "/", "quest": "?", "num": "#", "amp": "&", "percnt": "%",
    ]

    /// The text of the reference starting just after `&`, and how many bytes it used.
    private static func entity(in s: ArraySlice<UInt8>) -> ([UInt8], Int)? {
        if s.first == ASCII.hash {
            let hex = s.dropFirst().first.map { $0 | 0x20 } == 0x78
            let digits = s.dropFirst(hex ? 2 : 1).prefix { hex ? hexValue($0) != nil : ASCII.isDigit($0) }.prefix(8)
            guard !digits.isEmpty else { return nil }
            var value: UInt32 = 0
            for digit in digits { value = value * (hex ? 16 : 10) + UInt32(hex ? hexValue(digit)! : digit - 0x30) }
            let scalar = value == 0 ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}"
            var length = (hex ? 2 : 1) + digits.count
            if s.dropFirst(length).first == ASCII.semicolon { length += 1 }
            return (Array(String(Character(scalar)).utf8), length)
        }
        let name = s.prefix { ASCII.isLetter($0) }.prefix(8)
        guard s.dropFirst(name.count).first == ASCII.semicolon,
              let decoded = namedEntities[String(decoding: name.map(ASCII.lowercased), as: UTF8.self)] else { return nil }
        return (Array(decoded.utf8), name.count + 1)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
