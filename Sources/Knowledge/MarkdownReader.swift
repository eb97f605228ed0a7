import Foundation

/// Reads Markdown (and MDX, with `stripJSX`) into sections under their headings: front
/// matter `title:` is the title, fenced code is kept as text but never read as headings, and
/// inline syntax (links, images, emphasis, HTML/JSX tags) is reduced to its words.
struct MarkdownReader {
    let stripJSX: Bool
    /// False for text that is already plain (HTML after extraction): only headings are read.
    var inlineSyntax = true

    func read(_ text: String, fallbackTitle: String) -> ParsedDocument {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var title = Self.frontMatterTitle(&lines)
        var sections: [ParsedDocument.Section] = []
        var stack: [(level: Int, text: String)] = []
        var body: [String] = []
        var fence: String? = nil

        func flush() {
            let joined = Self.collapseBlankLines(body)
            if !joined.isEmpty { sections.append(.init(headings: stack.map(\.text), text: joined)) }
            body.removeAll()
        }

        for raw in lines {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil } else { body.append(raw) }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
                body.append("")
                continue
            }
            if stripJSX, trimmed.hasPrefix("import ") || trimmed.hasPrefix("export ") { continue }
            if let (level, heading) = Self.heading(trimmed) {
                flush()
                let clean = inlineSyntax ? Self.inline(heading, stripTags: true) : heading
                if level == 1 && title == nil { title = clean }
                while let last = stack.last, last.level >= level { stack.removeLast() }
                if !clean.isEmpty { stack.append((level, clean)) }
                continue
            }
            body.append(inlineSyntax ? Self.inline(raw, stripTags: true) : raw)
        }
        flush()
        return ParsedDocument(title: title ?? fallbackTitle, sections: sections)
    }

    /// Removes a leading `---` … `---` block and returns its `title:` value.
    static func frontMatterTitle(_ lines: inout [String]) -> String? {
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---",
              let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else { return nil }
        var title: String? = nil
        for line in lines[1..<end] where line.hasPrefix("title:") {
            var value = line.dropFirst("title:".count).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            if !value.isEmpty { title = value }
        }
        lines.removeSubrange(0...end)
        return title
    }

    /// `## Heading ##` → (2, "Heading").
    static func heading(_ line: String) -> (Int, String)? {
        guard line.hasPrefix("#") else { return nil }
        let level = line.prefix(while: { $0 == "#" }).count
        guard level <= 6 else { return nil }
        let rest = line.dropFirst(level)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        var text = rest.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("#") { text.removeLast() }
        return (level, text.trimmingCharacters(in: .whitespaces))
    }

    static let image = try! NSRegularExpression(pattern: #"!\[([^\]]*)\]\([^)]*\)"#)
    static let link = try! NSRegularExpression(pattern: #"\[([^\]]+)\]\([^)]*\)"#)
    static let tag = try! NSRegularExpression(pattern: #"</?[A-Za-z][A-Za-z0-9.:_-]*(\s[^<>]*)?/?>"#)
    static let jsxExpression = try! NSRegularExpression(pattern: #"\{/\*.*?\*/\}"#)
    static let emphasis = try! NSRegularExpression(pattern: #"(\*\*|__|\*|`)"#)

    /// Inline Markdown reduced to words: images to their alt text, links to their text, tags and
    /// emphasis markers dropped, list and quote markers removed.
    static func inline(_ line: String, stripTags: Bool) -> String {
        var s = line
        for (regex, template) in [(image, "$1"), (link, "$1"), (jsxExpression, ""), (emphasis, "")] where s.contains(where: { "[*_`{".contains($0) }) {
            s = regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        if stripTags, s.contains("<") {
            s = tag.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "")
        }
        let trimmed = s.trimmingCharacters(in: .whitespaces)
        for marker in ["> ", "- ", "* ", "+ "] where trimmed.hasPrefix(marker) { return String(trimmed.dropFirst(2)) }
        return s
    }

    /// Joins lines, keeping at most one blank line between paragraphs; trims the ends.
    static func collapseBlankLines(_ lines: [String]) -> String {
        var out: [String] = []
        for line in lines {
            let blank = line.trimmingCharacters(in: .whitespaces).isEmpty
            if blank { if let last = out.last, !last.isEmpty { out.append("") } } else { out.append(line.trimmingCharacters(in: .whitespaces)) }
        }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n")
    }
}
