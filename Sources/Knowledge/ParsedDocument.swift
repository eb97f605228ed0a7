import Foundation

/// The kinds of file `stoa docs ingest` reads.
public enum DocumentFormat: String, Sendable, CaseIterable {
    case markdown, mdx, text, html

    /// The format for a file name extension (`md`, `markdown`, `mdx`, `txt`, `text`, `html`, `htm`).
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "md", "markdown": self = .markdown
        case "mdx": self = .mdx
        case "txt", "text": self = .text
        case "html", "htm": self = .html
        default: return nil
        }
    }
}

/// A document reduced to what search needs: its title and its text, section by section,
/// each section under its heading path.
public struct ParsedDocument: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        /// Headings above this text, outermost first.
        public var headings: [String]
        /// Plain text (Markdown syntax and tags removed), paragraphs separated by blank lines.
        public var text: String
    }

    public var title: String
    public var sections: [Section]

    /// Parses `content` as `format`; `fallbackTitle` (usually the file name) is used when the
    /// document names no title (front matter `title:`, first `#` heading, HTML `<title>`).
    public static func parse(_ content: String, format: DocumentFormat, fallbackTitle: String) -> ParsedDocument {
        let text = content.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        switch format {
        case .markdown: return MarkdownReader(stripJSX: false).read(text, fallbackTitle: fallbackTitle)
        case .mdx: return MarkdownReader(stripJSX: true).read(text, fallbackTitle: fallbackTitle)
        case .html: return HTMLReader.read(text, fallbackTitle: fallbackTitle)
        case .text:
            let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return ParsedDocument(title: fallbackTitle, sections: body.isEmpty ? [] : [Section(headings: [], text: body)])
        }
    }
}

/// GitHub-style heading anchors: lowercase, punctuation dropped, spaces to hyphens.
public enum HeadingAnchor {
    public static func slug(_ heading: String) -> String {
        var out = ""
        for ch in heading.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" { out.append(ch) } else if ch == " " { out.append("-") }
        }
        return out
    }
}
