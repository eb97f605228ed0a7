extension MarkdownRenderer {
    /// A piece of inline content, in source order. Ranges index the parser's `text`.
    enum InlineToken {
        case text(Range<Int>)
        case code(Range<Int>)
        case softBreak, hardBreak
        /// A run of `*`, `_` or `~~`: literal characters and the emphasis it opens or closes.
        case delimiter(Int)
        case linkStart(Int), linkEnd(Int)
        /// `<scheme:…>`, `<user@host>` or a bare `http(s)://` URL; only made for safe URLs.
        case autolink(Range<Int>, isEmail: Bool)
    }

    /// A resolved link or image; `destination` is nil when its URL is not safe.
    struct Link {
        var destination: [UInt8]?
        var title: [UInt8]?
        var isImage: Bool

        init(_ destination: ArraySlice<UInt8>, title: ArraySlice<UInt8>?, isImage: Bool) {
            let url = Self.unescaped(destination)
            self.destination = MarkdownRenderer.isSafeURL(url, image: isImage) ? url : nil
            self.title = title.map(Self.unescaped)
            self.isImage = isImage
        }

        /// Drops the backslash of each backslash escape.
        private static func unescaped(_ s: ArraySlice<UInt8>) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(s.count)
            var i = s.startIndex
            while i < s.endIndex {
                if s[i] == ASCII.backslash, i + 1 < s.endIndex, ASCII.isPunctuation(s[i + 1]) { i += 1 }
                out.append(s[i])
                i += 1
            }
            return out
        }
    }

    /// Parses a paragraph's inline content in one left-to-right pass, with CommonMark's
    /// delimiter and bracket stacks. Nothing rescans: code spans find their closing run in an
    /// index of backtick runs, link tails are read from tables built once per paragraph,
    /// emphasis is resolved with per-kind lower bounds, and a link deactivates the brackets
    /// before it with one watermark.
    struct InlineParser {
        let text: [UInt8]
        private(set) var tokens: [InlineToken] = []
        var runs: [DelimiterRun] = []
        /// The top of the delimiter stack, a list threaded through `runs` (-1: empty).
        var lastRun = -1
        private(set) var links: [Link] = []

        private struct Bracket {
            var token: Int
            var isImage: Bool
            /// Delimiter runs with a higher index are inside the brackets.
            var runsBefore: Int
        }
        private var brackets: [Bracket] = []
        /// `[` brackets before this token are inactive: links may not contain links.
        private var linkBarrier = -1
        private var textStart = 0
        private var backticks: BacktickRuns?
        private var linkTails: LinkTailScanner?

        init(_ text: [UInt8]) {
            self.text = text
            var i = 0
            while i < text.count {
                switch text[i] {
                case ASCII.backslash: i = backslash(at: i)
                case ASCII.backtick: i = codeSpan(at: i)
                case ASCII.star, ASCII.underscore, ASCII.tilde: i = delimiterRun(at: i)
                case ASCII.leftBracket: i = openBracket(at: i, isImage: false)
                case ASCII.bang where i + 1 < text.count && text[i + 1] == ASCII.leftBracket: i = openBracket(at: i, isImage: true)
                case ASCII.rightBracket: i = closeBracket(at: i)
                case ASCII.lessThan: i = autolink(at: i)
                case ASCII.newline: i = lineBreak(at: i)
                case UInt8(ascii: "h"): i = bareURL(at: i)
                default: i += 1
                }
            }
            flushText(upTo: text.count)
            processEmphasis(above: -1)
        }

        /// Ends the current run of plain text at `end`.
        private mutating func flushText(upTo end: Int) {
            if textStart < end { tokens.append(.text(textStart..<end)) }
            textStart = end
        }

        /// Adds a token for `start..<end` and continues plain text after it.
        private mutating func emit(_ token: InlineToken, from start: Int, to end: Int) -> Int {
            flushText(upTo: start)
            tokens.append(token)
            textStart = end
            return end
        }

        /// `\` before punctuation makes it literal; before a line break, a hard break.
        private mutating func backslash(at i: Int) -> Int {
            guard i + 1 < text.count else { return i + 1 }
            if text[i + 1] == ASCII.newline { return emit(.hardBreak, from: i, to: i + 2) }
            guard ASCII.isPunctuation(text[i + 1]) else { return i + 1 }
            flushText(upTo: i)
            textStart = i + 1
            return i + 2
        }

        /// A run of backticks opens a code span that ends at the next run of the same length;
        /// without one it is literal.
        private mutating func codeSpan(at i: Int) -> Int {
            let end = i + text[i...].prefix { $0 == ASCII.backtick }.count
            if backticks == nil { backticks = BacktickRuns(text) }
            guard let close = backticks!.closer(length: end - i, after: end) else { return end }
            var content = end..<close
            let isSpace = { (b: UInt8) in b == ASCII.space || b == ASCII.newline }
            if content.count >= 2, isSpace(text[end]), isSpace(text[close - 1]), !text[content].allSatisfy(isSpace) {
                content = end + 1..<close - 1
            }
            return emit(.code(content), from: i, to: close + (end - i))
        }

        /// Two or more spaces before a line break make it a hard break; otherwise they are dropped.
        private mutating func lineBreak(at i: Int) -> Int {
            var end = i
            while end > textStart, text[end - 1] == ASCII.space { end -= 1 }
            return emit(i - end >= 2 ? .hardBreak : .softBreak, from: end, to: i + 1)
        }

        private mutating func delimiterRun(at i: Int) -> Int {
            let character = text[i]
            let end = i + text[i...].prefix { $0 == character }.count
            guard character != ASCII.tilde || end - i == 2,
                  let run = DelimiterRun(character: character, length: end - i, before: characterClass(before: i),
                                         after: characterClass(at: end), previous: lastRun) else { return end }
            runs.append(run)
            if lastRun >= 0 { runs[lastRun].next = runs.count - 1 }
            lastRun = runs.count - 1
            return emit(.delimiter(lastRun), from: i, to: end)
        }

        private mutating func openBracket(at i: Int, isImage: Bool) -> Int {
            flushText(upTo: i)
            brackets.append(Bracket(token: tokens.count, isImage: isImage, runsBefore: runs.count - 1))
            return emit(.text(i..<i + (isImage ? 2 : 1)), from: i, to: i + (isImage ? 2 : 1))
        }

        /// `]` closes the innermost bracket as a link or image when `(destination "title")`
        /// follows; otherwise both brackets are literal.
        private mutating func closeBracket(at i: Int) -> Int {
            guard let opener = brackets.popLast(), opener.isImage || opener.token > linkBarrier,
                  i + 1 < text.count, text[i + 1] == ASCII.leftParen else { return i + 1 }
            if linkTails == nil { linkTails = LinkTailScanner(text) }
            guard let tail = linkTails!.parse(openParen: i + 1) else { return i + 1 }
            let index = links.count
            links.append(Link(text[tail.destination], title: tail.title.map { text[$0] }, isImage: opener.isImage))
            tokens[opener.token] = .linkStart(index)
            processEmphasis(above: opener.runsBefore)
            if !opener.isImage { linkBarrier = opener.token }
            return emit(.linkEnd(index), from: i, to: tail.end)
        }

        /// `<scheme:rest>` with no spaces or `<>` inside, or `<user@example.com>`; as text unless
        /// the URL is safe. Scans stop at the next `<`, so they never overlap.
        private mutating func autolink(at i: Int) -> Int {
            let body = text[(i + 1)...]
            let scheme = body.prefix { ASCII.isAlphanumeric($0) || $0 == ASCII.plus || $0 == ASCII.dot || $0 == ASCII.dash }
            if (2...32).contains(scheme.count), ASCII.isLetter(body[body.startIndex]), text.indices.contains(scheme.endIndex),
               text[scheme.endIndex] == ASCII.colon {
                let end = text[scheme.endIndex...].firstIndex { $0 <= ASCII.space || $0 == ASCII.lessThan || $0 == ASCII.greaterThan || $0 == ASCII.delete }
                if let end, text[end] == ASCII.greaterThan {
                    guard MarkdownRenderer.isSafeURL(Array(text[(i + 1)..<end]), image: false) else { return end + 1 }
                    return emit(.autolink(i + 1..<end, isEmail: false), from: i, to: end + 1)
                }
            }
            let local = body.prefix { ASCII.isAlphanumeric($0) || Self.emailSymbols.contains($0) }
            guard !local.isEmpty, text.indices.contains(local.endIndex), text[local.endIndex] == ASCII.at else { return i + 1 }
            let domain = text[(local.endIndex + 1)...].prefix { ASCII.isAlphanumeric($0) || $0 == ASCII.dash || $0 == ASCII.dot }
            guard let first = domain.first, let last = domain.last, ASCII.isAlphanumeric(first), ASCII.isAlphanumeric(last),
                  text.indices.contains(domain.endIndex), text[domain.endIndex] == ASCII.greaterThan else { return i + 1 }
            return emit(.autolink(i + 1..<domain.endIndex, isEmail: true), from: i, to: domain.endIndex + 1)
        }

        private static let emailSymbols = Set(".!#$%&'*+/=?^_`{|}~-".utf8)

        /// GFM's extended autolink: `http://` or `https://` not inside a word, up to a space,
        /// `<` or `]`, without trailing punctuation or an unbalanced `)`.
        private mutating func bareURL(at i: Int) -> Int {
            guard i == 0 || !ASCII.isAlphanumeric(text[i - 1]) else { return i + 1 }
            let rest = text[i...]
            let prefix = rest.starts(with: "https://".utf8) ? 8 : rest.starts(with: "http://".utf8) ? 7 : 0
            guard prefix > 0, i + prefix < text.count, ASCII.isAlphanumeric(text[i + prefix]) else { return i + 1 }
            var end = text[(i + prefix)...].firstIndex {
                $0 <= ASCII.space || $0 == ASCII.lessThan || $0 == ASCII.rightBracket || $0 == ASCII.delete
            } ?? text.count
            var unmatchedClosing = text[i..<end].reduce(0) {
                $0 + ($1 == ASCII.rightParen ? 1 : $1 == ASCII.leftParen ? -1 : 0)
            }
            while true {
                let last = text[end - 1]
                if Self.trailingPunctuation.contains(last) {
                    end -= 1
                } else if last == ASCII.rightParen && unmatchedClosing > 0 {
                    unmatchedClosing -= 1
                    end -= 1
                } else {
                    break
                }
            }
            return emit(.autolink(i..<end, isEmail: false), from: i, to: end)
        }

        private static let trailingPunctuation = Set("?!.,:;*_~'\"".utf8)
    }
}
