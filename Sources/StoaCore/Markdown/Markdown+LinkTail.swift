extension MarkdownRenderer {
    /// Where each length of backtick run occurs, so a code span finds its closing run without
    /// rescanning: the parser asks for positions in increasing order, so each list is walked once.
    struct BacktickRuns {
        private var starts: [Int: [Int]] = [:]
        private var cursors: [Int: Int] = [:]

        init(_ text: [UInt8]) {
            var i = 0
            while i < text.count {
                guard text[i] == ASCII.backtick else {
                    i += 1
                    continue
                }
                let start = i
                while i < text.count, text[i] == ASCII.backtick { i += 1 }
                starts[i - start, default: []].append(start)
            }
        }

        /// The start of the first run of exactly `length` backticks at or after `position`.
        mutating func closer(length: Int, after position: Int) -> Int? {
            guard let list = starts[length] else { return nil }
            var k = cursors[length, default: 0]
            while k < list.count, list[k] < position { k += 1 }
            cursors[length] = k
            return k < list.count ? list[k] : nil
        }
    }

    /// The part of an inline link after `]`: `(destination "title")`.
    struct LinkTail {
        var destination: Range<Int>
        var title: Range<Int>?
        /// Just after the closing `)`.
        var end: Int
    }

    /// Reads link tails in constant time each, from tables built in two linear passes the first
    /// time a paragraph has `](`; text like `[a](` repeated cannot make each attempt rescan the
    /// rest of the paragraph. "Unescaped" means not preceded by a backslash that escapes it.
    struct LinkTailScanner {
        private let text: [UInt8]
        /// Unescaped `(` minus unescaped `)` before each position.
        private var depth: [Int32]
        /// For a destination starting at each position: where the unescaped `)` that takes the
        /// depth below its starting value is.
        private var closingParen: [Int32]
        /// The next unescaped occurrence of the same byte, after each position.
        private var nextSame: [Int32]
        /// The first unescaped `>`, line break, space or control character, and non-space, at or
        /// after each position.
        private var nextGreaterThan: [Int32]
        private var nextNewline: [Int32]
        private var nextSpaceOrControl: [Int32]
        private var nextNonSpace: [Int32]

        init(_ text: [UInt8]) {
            self.text = text
            let n = text.count
            let none = Int32(n)
            var escaped = [Bool](repeating: false, count: n)
            depth = [Int32](repeating: 0, count: n + 1)
            for i in 0..<n {
                escaped[i] = i > 0 && text[i - 1] == ASCII.backslash && !escaped[i - 1] && ASCII.isPunctuation(text[i])
                let change: Int32 = escaped[i] ? 0 : text[i] == ASCII.leftParen ? 1 : text[i] == ASCII.rightParen ? -1 : 0
                depth[i + 1] = depth[i] + change
            }
            closingParen = [Int32](repeating: none, count: n + 1)
            nextSame = [Int32](repeating: none, count: n + 1)
            nextGreaterThan = [Int32](repeating: none, count: n + 1)
            nextNewline = [Int32](repeating: none, count: n + 1)
            nextSpaceOrControl = [Int32](repeating: none, count: n + 1)
            nextNonSpace = [Int32](repeating: none, count: n + 1)
            // firstAtDepth[d + n + 1]: the smallest position j seen so far (scanning backwards) with depth[j] == d.
            var firstAtDepth = [Int32](repeating: -1, count: 2 * n + 3)
            var lastSeen = [Int32](repeating: none, count: 256)
            for i in stride(from: n, through: 0, by: -1) {
                let below = firstAtDepth[Int(depth[i]) + n]
                if below >= 0 { closingParen[i] = below - 1 }
                firstAtDepth[Int(depth[i]) + n + 1] = Int32(i)
                guard i < n else { continue }
                let b = text[i]
                nextSame[i] = lastSeen[Int(b)]
                if !escaped[i] { lastSeen[Int(b)] = Int32(i) }
                nextGreaterThan[i] = b == ASCII.greaterThan && !escaped[i] ? Int32(i) : nextGreaterThan[i + 1]
                nextNewline[i] = b == ASCII.newline ? Int32(i) : nextNewline[i + 1]
                nextSpaceOrControl[i] = b <= ASCII.space || b == ASCII.delete ? Int32(i) : nextSpaceOrControl[i + 1]
                let isSpace = b == ASCII.space || b == ASCII.tab || b == ASCII.newline
                nextNonSpace[i] = isSpace ? nextNonSpace[i + 1] : Int32(i)
            }
        }

        /// The tail starting at `text[openParen] == "("`, or nil when it is not a valid one.
        func parse(openParen: Int) -> LinkTail? {
            let n = text.count
            var p = Int(nextNonSpace[openParen + 1])
            let destination: Range<Int>
            if p < n && text[p] == ASCII.lessThan {
                // <destination>: no line break or unescaped `<` before the closing `>`.
                let close = Int(nextGreaterThan[p + 1])
                guard close < n, Int(nextSame[p]) > close, Int(nextNewline[p + 1]) > close else { return nil }
                destination = p + 1..<close
                p = close + 1
            } else {
                // A bare destination ends at a space or the link's `)`, with balanced parentheses.
                let end = min(Int(nextSpaceOrControl[p]), Int(closingParen[p]))
                guard depth[end] == depth[p] else { return nil }
                destination = p..<end
                p = end
            }
            var q = Int(nextNonSpace[p])
            var title: Range<Int>?
            if q > p, q < n, [ASCII.quote, ASCII.apostrophe, ASCII.leftParen].contains(text[q]) {
                // "title", 'title' or (title): up to the matching unescaped delimiter.
                let close = text[q] == ASCII.leftParen ? Int(closingParen[q + 1]) : Int(nextSame[q])
                guard close < n, text[q] != ASCII.leftParen || Int(nextSame[q]) > close else { return nil }
                title = q + 1..<close
                q = Int(nextNonSpace[close + 1])
            }
            guard q < n, text[q] == ASCII.rightParen else { return nil }
            return LinkTail(destination: destination, title: title, end: q + 1)
        }
    }
}
