/// Markdown → HTML for message bodies, in time linear in the length of the input.
///
/// The syntax is the part of CommonMark and GFM that chat messages use: paragraphs, ATX and
/// setext headings, fenced and indented code, block quotes, bullet and ordered lists (a list may
/// follow a line of text directly), thematic breaks and pipe tables; code spans, `*em*`/`_em_`,
/// `**strong**`, `~~strikethrough~~`, inline links and images, `<…>` autolinks and bare
/// `http(s)://` URLs, backslash escapes and hard breaks. Raw HTML, entities and reference links
/// are shown as the text they are.
///
/// The HTML is safe by construction: text and attribute values are escaped exactly once, only a
/// fixed set of tags and attributes is ever written, and a link or image whose URL is not http,
/// https, mailto (links only) or relative is rendered as its text. Blocks nested deeper than
/// ``BlockParser/maxNesting`` levels are read as text.
public enum MarkdownRenderer {
    /// Renders `markdown` as an HTML fragment: blocks separated by newlines, no trailing newline,
    /// and "" for input with no content.
    public static func html(_ markdown: String) -> String {
        let input = Array(markdown.utf8)
        var out = HTMLWriter(capacity: input.count + input.count / 4 + 8)
        if isPlainText(input) {
            out.raw("<p>")
            out.text(input[...])
            out.raw("</p>")
        } else {
            var parser = BlockParser(input)
            out.render(parser.parse())
        }
        return out.string
    }

    /// One line of prose that nothing in Markdown would change is a single paragraph; deciding
    /// that in one cheap scan keeps pages of short messages fast.
    static func isPlainText(_ input: [UInt8]) -> Bool {
        guard let first = input.first, let last = input.last,
              first >= 0x80 || ASCII.isLetter(first), last != ASCII.space, last != ASCII.tab else { return false }
        for (i, byte) in input.enumerated() {
            switch byte {
            case ASCII.newline, ASCII.carriageReturn, ASCII.backslash, ASCII.backtick, ASCII.star, ASCII.underscore,
                 ASCII.tilde, ASCII.leftBracket, ASCII.rightBracket, ASCII.lessThan:
                return false
            case ASCII.colon where input[(i + 1)...].starts(with: "//".utf8):
                return false
            default:
                continue
            }
        }
        return true
    }
}
