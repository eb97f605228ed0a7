import Foundation

/// Extracts the text of an HTML page: `<title>` as the title, `<h1>`–`<h6>` as headings, block
/// elements as paragraph breaks; scripts, styles, comments and other tags never reach the index.
enum HTMLReader {
    static let dropped = try! NSRegularExpression(pattern: #"<(script|style|noscript|template|svg)\b[^>]*>.*?</\1\s*>|<!--.*?-->"#,
                                                  options: [.caseInsensitive, .dotMatchesLineSeparators])
    static let title = try! NSRegularExpression(pattern: #"<title\b[^>]*>(.*?)</title\s*>"#, options: [.caseInsensitive, .dotMatchesLineSeparators])
    static let head = try! NSRegularExpression(pattern: #"<head\b[^>]*>.*?</head\s*>"#, options: [.caseInsensitive, .dotMatchesLineSeparators])
    static let heading = try! NSRegularExpression(pattern: #"<h([1-6])\b[^>]*>(.*?)</h\1\s*>"#, options: [.caseInsensitive, .dotMatchesLineSeparators])
    static let block = try! NSRegularExpression(pattern: #"</?(p|div|section|article|li|ul|ol|br|tr|table|pre|blockquote|main|header|footer|nav|aside|dd|dt)\b[^>]*>"#,
                                                options: [.caseInsensitive])
    static let tag = try! NSRegularExpression(pattern: #"<[^>]*>"#)

    static func read(_ html: String, fallbackTitle: String) -> ParsedDocument {
        var s = replace(dropped, in: html, with: " ")
        var pageTitle: String? = nil
        if let match = title.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), let range = Range(match.range(at: 1), in: s) {
            pageTitle = plain(String(s[range]))
        }
        s = replace(head, in: s, with: " ")
        // Headings become Markdown headings on their own lines, so one section splitter serves both.
        let ns = s as NSString
        var out = ""
        var last = 0
        for match in heading.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            let level = Int(ns.substring(with: match.range(at: 1))) ?? 2
            let text = plain(ns.substring(with: match.range(at: 2))).replacingOccurrences(of: "\n", with: " ")
            out += "\n\n" + String(repeating: "#", count: level) + " " + text + "\n\n"
            last = match.range.location + match.range.length
        }
        out += ns.substring(from: last)
        out = replace(block, in: out, with: "\n\n")
        out = decodeEntities(replace(tag, in: out, with: ""))
        // Lines that only look like Markdown headings after decoding must stay text.
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("#") && !line.hasPrefix("#") ? String(t.drop(while: { $0 == "#" })) : t
        }
        var parsed = MarkdownReader(stripJSX: false, inlineSyntax: false).read(lines.joined(separator: "\n"), fallbackTitle: fallbackTitle)
        if let pageTitle, !pageTitle.isEmpty { parsed.title = pageTitle }
        return parsed
    }

    static func replace(_ regex: NSRegularExpression, in s: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }

    static func plain(_ fragment: String) -> String {
        decodeEntities(replace(tag, in: fragment, with: "")).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
                                          "mdash": "—", "ndash": "–", "hellip": "…", "copy": "©", "rsquo": "’", "lsquo": "‘",
                                          "rdquo": "”", "ldquo": "“"]

    /// `&amp;`, `&#39;`, `&#x27;` and the common named entities.
    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].prefix(12).firstIndex(of: ";") {
                let name = s[s.index(after: i)..<semi]
                var replacement: String? = named[String(name)]
                if replacement == nil, name.hasPrefix("#") {
                    let digits = name.dropFirst()
                    let code = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                    if let code, let scalar = Unicode.Scalar(code) { replacement = String(Character(scalar)) }
                }
                if let replacement {
                    out += replacement
                    i = s.index(after: semi)
                    continue
                }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }
}
