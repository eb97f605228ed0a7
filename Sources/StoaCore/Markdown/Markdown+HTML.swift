extension MarkdownRenderer.HTMLWriter {
    typealias ASCII = MarkdownRenderer.ASCII
    typealias Block = MarkdownRenderer.Block

    /// Writes a block and its children; paragraphs directly in the items of a tight list are
    /// written without `<p>`.
    mutating func render(_ block: Block, inTightList tight: Bool = false) {
        switch block.kind {
        case .document:
            for child in block.children { render(child) }
        case .paragraph:
            if tight {
                inlines(block.lines)
            } else {
                newlineIfNeeded()
                raw("<p>")
                inlines(block.lines)
                raw("</p>\n")
            }
        case .heading(let level):
            newlineIfNeeded()
            raw(Self.headingTags[level - 1].open)
            inlines(block.lines)
            raw(Self.headingTags[level - 1].close)
        case .thematicBreak:
            newlineIfNeeded()
            raw("<hr>\n")
        case .fencedCode(let fence):
            code(block.lines, language: fence.language)
        case .indentedCode:
            code(block.lines, language: nil)
        case .blockQuote:
            newlineIfNeeded()
            raw("<blockquote>\n")
            for child in block.children { render(child) }
            newlineIfNeeded()
            raw("</blockquote>\n")
        case .list(let marker):
            newlineIfNeeded()
            if !marker.ordered {
                raw("<ul>\n")
            } else if marker.start == 1 {
                raw("<ol>\n")
            } else {
                raw("<ol start=\"")
                text(Array(String(marker.start).utf8)[...])
                raw("\">\n")
            }
            for item in block.children { render(item, inTightList: block.isTight) }
            raw(marker.ordered ? "</ol>\n" : "</ul>\n")
        case .item:
            raw("<li>")
            for child in block.children { render(child, inTightList: tight) }
            raw("</li>\n")
        case .table(let alignments):
            table(block.lines, alignments: alignments)
        }
    }

    private static let headingTags: [(open: StaticString, close: StaticString)] = [
        ("<h1>", "</h1>\n"), ("<h2>", "</h2>\n"), ("<h3>", "</h3>\n"),
        ("<h4>", "</h4>\n"), ("<h5>", "</h5>\n"), ("<h6>", "</h6>\n"),
    ]

    private mutating func code(_ lines: [MarkdownRenderer.SourceLine], language: ArraySlice<UInt8>?) {
        newlineIfNeeded()
        raw("<pre><code")
        if let language {
            raw(" class=\"language-")
            text(language)
            raw("\"")
        }
        raw(">")
        for line in lines {
            text(ASCII.space, count: line.padding)
            text(line.text)
            raw("\n")
        }
        raw("</code></pre>\n")
    }

    /// A table's rows keep the cells they have (up to the header's count): padding short rows
    /// would let a wide header multiply the output.
    private mutating func table(_ lines: [MarkdownRenderer.SourceLine], alignments: [MarkdownRenderer.TableAlignment]) {
        newlineIfNeeded()
        raw("<table>\n<thead>\n")
        for (index, line) in lines.enumerated() {
            if index == 1 { raw("<tbody>\n") }
            raw("<tr>\n")
            let cells = MarkdownRenderer.BlockParser.cells(line.text)
            for (cell, alignment) in zip(cells, alignments) {
                raw(index == 0 ? "<th" : "<td")
                switch alignment {
                case .none: break
                case .left: raw(" align=\"left\"")
                case .center: raw(" align=\"center\"")
                case .right: raw(" align=\"right\"")
                }
                raw(">")
                inlines(Self.unescapingPipes(cell))
                raw(index == 0 ? "</th>\n" : "</td>\n")
            }
            raw(index == 0 ? "</tr>\n</thead>\n" : "</tr>\n")
        }
        if lines.count > 1 { raw("</tbody>\n") }
        raw("</table>\n")
    }

    /// `\|` is a pipe in a cell, even inside a code span.
    private static func unescapingPipes(_ cell: ArraySlice<UInt8>) -> [UInt8] {
        var content: [UInt8] = []
        var i = cell.startIndex
        while i < cell.endIndex {
            if cell[i] == ASCII.backslash, i + 1 < cell.endIndex, cell[i + 1] == ASCII.pipe { i += 1 }
            content.append(cell[i])
            i += 1
        }
        return content
    }

    /// A leaf's lines as one inline text: joined by line breaks, without the final spaces.
    private mutating func inlines(_ lines: [MarkdownRenderer.SourceLine]) {
        var joined: [UInt8] = []
        for (index, line) in lines.enumerated() {
            if index > 0 { joined.append(ASCII.newline) }
            joined += repeatElement(ASCII.space, count: line.padding)
            joined += line.text
        }
        while let last = joined.last, ASCII.isSpaceOrTab(last) { joined.removeLast() }
        inlines(joined)
    }

    /// Writes inline content. Inside an image's alt text only text is written; inside a link,
    /// autolinks are text (links never nest).
    private mutating func inlines(_ content: [UInt8]) {
        let parser = MarkdownRenderer.InlineParser(content)
        let source = parser.text
        var altDepth = 0
        var linkDepth = 0
        for token in parser.tokens {
            switch token {
            case .text(let range):
                text(source[range])
            case .code(let range):
                if altDepth == 0 { raw("<code>") }
                text(source[range], newlinesAsSpaces: true)
                if altDepth == 0 { raw("</code>") }
            case .softBreak:
                raw("\n")
            case .hardBreak:
                raw(altDepth == 0 ? "<br>\n" : "\n")
            case .delimiter(let index):
                let run = parser.runs[index]
                if altDepth == 0 { for tag in run.closes { close(tag) } }
                text(run.character, count: run.remaining)
                if altDepth == 0 { for tag in run.opens.reversed() { open(tag) } }
            case .linkStart(let index):
                let link = parser.links[index]
                if altDepth == 0, let destination = link.destination {
                    raw(link.isImage ? "<img src=\"" : "<a href=\"")
                    text(destination[...])
                    if link.isImage {
                        raw("\" alt=\"")
                    } else {
                        title(link.title)
                        raw("\" rel=\"nofollow noopener noreferrer\">")
                        linkDepth += 1
                    }
                }
                if link.isImage { altDepth += 1 }
            case .linkEnd(let index):
                let link = parser.links[index]
                if link.isImage { altDepth -= 1 }
                if altDepth == 0, link.destination != nil {
                    if link.isImage {
                        title(link.title)
                        raw("\">")
                    } else {
                        raw("</a>")
                        linkDepth -= 1
                    }
                }
            case .autolink(let range, let isEmail):
                if altDepth == 0 && linkDepth == 0 {
                    raw(isEmail ? "<a href=\"mailto:" : "<a href=\"")
                    text(source[range])
                    raw("\" rel=\"nofollow noopener noreferrer\">")
                    text(source[range])
                    raw("</a>")
                } else {
                    text(source[range])
                }
            }
        }
    }

    /// Closes the current quoted attribute and adds ` title="…` when there is a title.
    private mutating func title(_ title: [UInt8]?) {
        guard let title else { return }
        raw("\" title=\"")
        text(title[...])
    }

    private mutating func open(_ tag: MarkdownRenderer.EmphasisTag) {
        switch tag {
        case .em: raw("<em>")
        case .strong: raw("<strong>")
        case .del: raw("<del>")
        }
    }

    private mutating func close(_ tag: MarkdownRenderer.EmphasisTag) {
        switch tag {
        case .em: raw("</em>")
        case .strong: raw("</strong>")
        case .del: raw("</del>")
        }
    }
}
