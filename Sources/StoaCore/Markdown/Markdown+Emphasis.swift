extension MarkdownRenderer {
    enum EmphasisTag { case em, strong, del }

    /// A run of `*`, `_` or `~~` that can open or close emphasis. Live runs form the delimiter
    /// stack, a doubly linked list through `InlineParser.runs`.
    struct DelimiterRun {
        let character: UInt8
        let length: Int
        var remaining: Int
        let canOpen: Bool
        let canClose: Bool
        var previous: Int
        var next = -1
        /// Tags closed by this run's first characters and opened by its last ones, innermost first.
        var closes: [EmphasisTag] = []
        var opens: [EmphasisTag] = []

        enum CharacterClass { case whitespace, punctuation, other }

        /// CommonMark's flanking rules; nil when the run can neither open nor close (it is text),
        /// which is how `OPENAI_API_KEY` keeps its underscores.
        init?(character: UInt8, length: Int, before: CharacterClass, after: CharacterClass, previous: Int) {
            let leftFlanking = after != .whitespace && (after != .punctuation || before != .other)
            let rightFlanking = before != .whitespace && (before != .punctuation || after != .other)
            if character == ASCII.underscore {
                canOpen = leftFlanking && (!rightFlanking || before == .punctuation)
                canClose = rightFlanking && (!leftFlanking || after == .punctuation)
            } else {
                canOpen = leftFlanking
                canClose = rightFlanking
            }
            guard canOpen || canClose else { return nil }
            self.character = character
            self.length = length
            remaining = length
            self.previous = previous
        }
    }
}

extension MarkdownRenderer.InlineParser {
    typealias ASCII = MarkdownRenderer.ASCII
    typealias CharacterClass = MarkdownRenderer.DelimiterRun.CharacterClass

    /// Resolves emphasis among the delimiter runs above `bottom` (CommonMark's
    /// `process_emphasis`), then removes them from the stack. A closer that finds no opener
    /// raises the lower bound for its kind, so no search covers the same runs twice.
    mutating func processEmphasis(above bottom: Int) {
        guard lastRun > bottom else { return }
        var closer = lastRun
        while runs[closer].previous > bottom { closer = runs[closer].previous }
        var openersBottom = [Int](repeating: bottom, count: 18)
        while closer >= 0 {
            let run = runs[closer]
            guard run.canClose else {
                closer = run.next
                continue
            }
            let kind = (run.character == ASCII.star ? 0 : run.character == ASCII.underscore ? 6 : 12)
                + run.length % 3 * 2 + (run.canOpen ? 1 : 0)
            var opener = run.previous
            while opener > openersBottom[kind], !Self.pairs(runs[opener], with: run) { opener = runs[opener].previous }
            if opener > openersBottom[kind] {
                match(opener, closer)
                if runs[closer].remaining == 0 { closer = run.next }
            } else {
                openersBottom[kind] = run.previous
                if !run.canOpen { unlink(closer) }
                closer = run.next
            }
        }
        while lastRun > bottom { unlink(lastRun) }
    }

    private static func pairs(_ opener: MarkdownRenderer.DelimiterRun, with closer: MarkdownRenderer.DelimiterRun) -> Bool {
        guard opener.canOpen, opener.character == closer.character else { return false }
        // The "rule of 3": a run that can both open and close pairs only if the lengths' sum is
        // not a multiple of 3, unless both are.
        return !((opener.canClose || closer.canOpen) && closer.length % 3 != 0 && (opener.length + closer.length) % 3 == 0)
    }

    /// Pairs the innermost characters of `opener` and `closer` (two for strong or `~~`, else one)
    /// and drops the runs between them.
    private mutating func match(_ opener: Int, _ closer: Int) {
        let tilde = runs[opener].character == ASCII.tilde
        let used = tilde || (runs[opener].remaining >= 2 && runs[closer].remaining >= 2) ? 2 : 1
        let tag: MarkdownRenderer.EmphasisTag = tilde ? .del : used == 2 ? .strong : .em
        runs[opener].remaining -= used
        runs[closer].remaining -= used
        runs[opener].opens.append(tag)
        runs[closer].closes.append(tag)
        var between = runs[closer].previous
        while between != opener {
            let previous = runs[between].previous
            unlink(between)
            between = previous
        }
        if runs[opener].remaining == 0 { unlink(opener) }
        if runs[closer].remaining == 0 { unlink(closer) }
    }

    private mutating func unlink(_ index: Int) {
        let previous = runs[index].previous
        let next = runs[index].next
        if previous >= 0 { runs[previous].next = next }
        if next >= 0 { runs[next].previous = previous } else { lastRun = previous }
    }

    /// The class of the character that ends just before `i` (the start of the text counts as
    /// whitespace). Unicode whitespace and punctuation (including symbols) count as CommonMark says.
    func characterClass(before i: Int) -> CharacterClass {
        guard i > 0 else { return .whitespace }
        var start = i - 1
        while start > 0, i - start < 4, text[start] & 0xC0 == 0x80 { start -= 1 }
        return characterClass(at: start)
    }

    func characterClass(at i: Int) -> CharacterClass {
        guard i < text.count else { return .whitespace }
        let b = text[i]
        if b < 0x80 {
            switch b {
            case ASCII.space, ASCII.tab, ASCII.newline, 0x0B, 0x0C, ASCII.carriageReturn: return .whitespace
            default: return ASCII.isPunctuation(b) ? .punctuation : .other
            }
        }
        var bytes = text[i...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&bytes) else { return .other }
        switch scalar.properties.generalCategory {
        case .spaceSeparator: return .whitespace
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return .punctuation
        default: return .other
        }
    }
}
