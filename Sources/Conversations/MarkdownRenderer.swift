import Foundation
import Ink
import StoaCore

/// Markdown → HTML for message bodies. The input is HTML-escaped first, so raw HTML in a
/// message (`<img onerror=…>`) renders as text; links and images keep only safe URLs
/// (http, https, mailto, relative), so `javascript:` links render inert.
public enum MarkdownRenderer {
    /// Immutable after set-up and only read (`html(from:)` is non-mutating), so sharing it is safe.
    nonisolated(unsafe) static let parser: MarkdownParser = {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .links) { html, _ in sanitize(html, attribute: "href") })
        parser.addModifier(Modifier(target: .images) { html, _ in sanitize(html, attribute: "src") })
        return parser
    }()

    public static func html(_ markdown: String) -> String {
        if isPlainText(markdown) { return "<p>" + escape(markdown) + "</p>" }
        return intrawordUnderscores(parser.html(from: escape(listsAfterParagraphs(markdown))))
    }

    /// CommonMark lets a list interrupt a paragraph ("Your tasks:\n1. Milk"); Ink does not, so a
    /// blank line goes before a list item that directly follows a line of text (outside code).
    static func listsAfterParagraphs(_ markdown: String) -> String {
        guard markdown.contains("\n") else { return markdown }
        var out: [Substring] = []
        var inFence = false
        var previousIsText = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle(); out.append(line); previousIsText = false; continue }
            let item = !inFence && isListItem(trimmed)
            if item && previousIsText { out.append("") }
            out.append(line)
            previousIsText = !inFence && !item && !trimmed.isEmpty && !trimmed.hasPrefix("#") && !trimmed.hasPrefix(">") && line.first != " "
        }
        return out.joined(separator: "\n")
    }

    static func isListItem(_ line: Substring) -> Bool {
        if line.hasPrefix("- ") || line.hasPrefix("* ") || line.hasPrefix("+ ") { return true }
        let digits = line.prefix(while: { $0.isASCII && $0.isNumber })
        return !digits.isEmpty && digits.count <= 3 && line.dropFirst(digits.count).hasPrefix(". ")
    }

    /// `OPENAI_API_KEY` must not become `OPENAI<em>API</em>KEY`: emphasis that starts and ends
    /// inside a word is put back as underscores (CommonMark never treats `_` inside words as emphasis).
    static func intrawordUnderscores(_ html: String) -> String {
        guard html.contains("<em>") else { return html }
        return intraword.stringByReplacingMatches(in: html, range: NSRange(html.startIndex..., in: html), withTemplate: "$1_$2_")
    }

    static let intraword = try! NSRegularExpression(pattern: #"([A-Za-z0-9])<em>([A-Za-z0-9_]+)</em>(?=[A-Za-z0-9])"#)

    /// One line of prose with nothing Markdown would treat specially renders as a single
    /// paragraph; skipping the parser there makes long message pages cheap.
    static func isPlainText(_ s: String) -> Bool {
        guard !s.isEmpty, s.count < 2000 else { return false }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "*", "_", "`", "[", "]", "#", ">", "<", "&", "|", "~", "!", "\\", "\n", "\r", "\t", "=", "+": return false
            default: continue
            }
        }
        let trimmed = s.trimmingWhitespace
        // Lists ("- x", "1. x") and leading spaces (code) need the parser.
        if trimmed.hasPrefix("-") || s.hasPrefix(" ") || trimmed.first?.isNumber == true { return false }
        return !s.contains("http://") && !s.contains("https://") && !s.contains("www.")
    }

    /// Escapes the characters that start HTML. `&` becomes `&amp;` unless it already starts
    /// an entity we produced; quotes are left for Markdown's own syntax.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Drops an unsafe URL from an `<a>`/`<img>` tag produced by Ink.
    static func sanitize(_ html: String, attribute: String) -> String {
        guard let start = html.range(of: "\(attribute)=\"") else { return html }
        guard let end = html[start.upperBound...].firstIndex(of: "\"") else { return html }
        let url = String(html[start.upperBound..<end])
        if isSafe(url) { return html }
        return html.replacingCharacters(in: start.lowerBound...end, with: "\(attribute)=\"#\"")
    }

    static func isSafe(_ url: String) -> Bool {
        let decoded = (url.removingPercentEncoding ?? url).replacingOccurrences(of: "&amp;", with: "&")
        let lowered = decoded.lowercased().filter { !$0.isWhitespace && !$0.isNewline && $0 != "\0" }
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") || lowered.hasPrefix("mailto:") { return true }
        // Relative URLs have no scheme before the first '/', '?' or '#'.
        let head = lowered.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !head.contains(":") && !lowered.hasPrefix("//")
    }
}
