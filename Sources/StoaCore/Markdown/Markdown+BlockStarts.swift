extension MarkdownRenderer.BlockParser {
    typealias ASCII = MarkdownRenderer.ASCII

    enum BlockStart {
        case none
        /// A quote or list item opened; more blocks may start inside it on the same line.
        case container
        /// An indented code block opened; the rest of the line is its first line.
        case code
        /// A heading, fence, thematic break or table row used the whole line.
        case wholeLine
    }

    static func mayStartBlock(_ b: UInt8) -> Bool {
        switch b {
        case ASCII.greaterThan, ASCII.hash, ASCII.backtick, ASCII.tilde, ASCII.star, ASCII.plus, ASCII.dash,
             ASCII.underscore, ASCII.equals, ASCII.pipe, ASCII.colon, 0x30...0x39: true
        default: false
        }
    }

    /// Tries the block starts at the cursor, in CommonMark's order.
    mutating func startBlock(in container: MarkdownRenderer.Block) -> BlockStart {
        let first = peek(nextNonspace)
        let canNest = container.depth < Self.maxNesting
        if !indented {
            switch first {
            case ASCII.greaterThan where canNest:
                advanceNextNonspace()
                advanceOffset(1, columns: false)
                if ASCII.isSpaceOrTab(peek(offset)) { advanceOffset(1, columns: true) }
                closeUnmatched()
                addChild(.blockQuote)
                return .container
            case ASCII.hash:
                if startATXHeading() { return .wholeLine }
            case ASCII.backtick, ASCII.tilde:
                if startFence() { return .wholeLine }
            default:
                break
            }
            if container.isParagraph, startTable(after: container) || startSetextHeading(container) { return .wholeLine }
            if startThematicBreak() { return .wholeLine }
        }
        if canNest, !indented || container.listMarker != nil, let marker = listMarker(interrupting: container.isParagraph) {
            closeUnmatched()
            let continuesList = open[open.count - 1].listMarker.map(marker.continues) ?? false
            if !continuesList { addChild(.list(marker)) }
            addChild(.item(marker))
            return .container
        }
        if indented, !open[open.count - 1].isParagraph, !blank {
            advanceOffset(4, columns: true)
            closeUnmatched()
            addChild(.indentedCode)
            return .code
        }
        return .none
    }

    /// `#` to `######`, then a space or the end of the line; an optional closing run of `#`.
    private mutating func startATXHeading() -> Bool {
        let level = runLength(from: nextNonspace)
        guard level <= 6, ASCII.isSpaceOrTab(peek(nextNonspace + level)) || nextNonspace + level == line.endIndex else {
            return false
        }
        var content = ASCII.trimmed(line[(nextNonspace + level)...])
        let closing = content.reversed().prefix { $0 == ASCII.hash }.count
        if closing == content.count {
            content = content.prefix(0)
        } else if closing > 0, ASCII.isSpaceOrTab(content[content.endIndex - closing - 1]) {
            content = ASCII.trimmed(content.dropLast(closing))
        }
        closeUnmatched()
        addChild(.heading(level: level)).lines = [MarkdownRenderer.SourceLine(text: content)]
        return true
    }

    /// Three or more backticks or tildes; the first word of the info string names the language
    /// when it is only letters, digits and `_+-#.`.
    private mutating func startFence() -> Bool {
        let character = peek(nextNonspace)
        let length = runLength(from: nextNonspace)
        let info = ASCII.trimmed(line[(nextNonspace + length)...])
        guard length >= 3, character == ASCII.tilde || !info.contains(ASCII.backtick) else { return false }
        let language = info.prefix { !ASCII.isSpaceOrTab($0) }
        let isName = language.allSatisfy {
            ASCII.isAlphanumeric($0) || [ASCII.underscore, ASCII.plus, ASCII.dash, ASCII.hash, ASCII.dot].contains($0)
        }
        closeUnmatched()
        let fence = MarkdownRenderer.Fence(character: character, length: length, indent: indent,
                                           language: !language.isEmpty && isName ? language : nil)
        addChild(.fencedCode(fence))
        return true
    }

    /// A line of `=` (level 1) or `-` (level 2) under a paragraph makes it a heading.
    private mutating func startSetextHeading(_ paragraph: MarkdownRenderer.Block) -> Bool {
        let character = peek(nextNonspace)
        guard character == ASCII.equals || character == ASCII.dash,
              ASCII.isBlank(line[(nextNonspace + runLength(from: nextNonspace))...]) else { return false }
        closeUnmatched()
        paragraph.kind = .heading(level: character == ASCII.equals ? 1 : 2)
        return true
    }

    /// Three or more `*`, `-` or `_`, alone on the line but for spaces.
    private mutating func startThematicBreak() -> Bool {
        let character = peek(nextNonspace)
        guard character == ASCII.star || character == ASCII.dash || character == ASCII.underscore else { return false }
        var count = 0
        for b in line[nextNonspace...] {
            if b == character {
                count += 1
            } else if !ASCII.isSpaceOrTab(b) {
                return false
            }
        }
        guard count >= 3 else { return false }
        closeUnmatched()
        addChild(.thematicBreak)
        return true
    }

    /// A bullet (`-`, `+`, `*`) or 1–9 digits and `.` or `)`, then a space or the end of the
    /// line; consumes the marker and the spaces after it. Interrupting a paragraph, an item must
    /// have content, and an ordered one must start at 1.
    private mutating func listMarker(interrupting: Bool) -> MarkdownRenderer.ListMarker? {
        guard indent < 4 else { return nil }
        let first = peek(nextNonspace)
        var marker = MarkdownRenderer.ListMarker(ordered: false, symbol: first, start: 1, markerOffset: indent, padding: 0)
        var width = 1
        if first != ASCII.dash && first != ASCII.plus && first != ASCII.star {
            let digits = line[nextNonspace...].prefix { ASCII.isDigit($0) }.prefix(10)
            let delimiter = peek(nextNonspace + digits.count)
            guard (1...9).contains(digits.count), delimiter == ASCII.dot || delimiter == ASCII.rightParen else { return nil }
            marker.ordered = true
            marker.symbol = delimiter
            marker.start = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            width = digits.count + 1
            guard !interrupting || marker.start == 1 else { return nil }
        }
        let afterMarker = nextNonspace + width
        guard afterMarker == line.endIndex || ASCII.isSpaceOrTab(line[afterMarker]) else { return nil }
        guard !interrupting || !ASCII.isBlank(line[afterMarker...]) else { return nil }

        advanceNextNonspace()
        advanceOffset(width, columns: true)
        let spacesStartColumn = column
        let spacesStartOffset = offset
        repeat {
            advanceOffset(1, columns: true)
        } while column - spacesStartColumn < 5 && ASCII.isSpaceOrTab(peek(offset))
        let spaces = column - spacesStartColumn
        if spaces >= 5 || spaces < 1 || offset == line.endIndex {
            marker.padding = width + 1
            column = spacesStartColumn
            offset = spacesStartOffset
            partialTab = false
            if ASCII.isSpaceOrTab(peek(offset)) { advanceOffset(1, columns: true) }
        } else {
            marker.padding = width + spaces
        }
        return marker
    }
}
