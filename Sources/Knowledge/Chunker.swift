import Foundation

/// A piece of a document as it is stored and searched.
public struct ChunkDraft: Sendable, Equatable {
    /// Heading path, outermost first.
    public var headings: [String]
    /// Anchor of the deepest heading (`#installing-stoa`), nil before the first heading.
    public var anchor: String?
    public var text: String
    public var wordCount: Int
}

/// Splits a parsed document into chunks that follow its headings: one chunk per section when
/// the section is short enough, else consecutive paragraphs of about `target` words, never
/// more than `maximum` (a longer paragraph is split between words).
public struct Chunker: Sendable {
    public var target: Int
    public var maximum: Int

    public init(target: Int = 300, maximum: Int = 400) {
        self.target = target
        self.maximum = maximum
    }

    public func chunks(_ document: ParsedDocument) -> [ChunkDraft] {
        var out: [ChunkDraft] = []
        for section in document.sections {
            let anchor = section.headings.last.map(HeadingAnchor.slug)
            for piece in split(section.text) {
                out.append(ChunkDraft(headings: section.headings, anchor: anchor, text: piece.text, wordCount: piece.words))
            }
        }
        return out
    }

    func split(_ text: String) -> [(text: String, words: Int)] {
        let paragraphs = text.components(separatedBy: "\n\n").map { p in (p, Self.wordCount(p)) }.filter { $0.1 > 0 }
        let total = paragraphs.reduce(0) { $0 + $1.1 }
        if total <= maximum { return total == 0 ? [] : [(text, total)] }
        var out: [(String, Int)] = []
        var current: [String] = []
        var count = 0
        func emit() {
            if !current.isEmpty { out.append((current.joined(separator: "\n\n"), count)) }
            current.removeAll(); count = 0
        }
        for (paragraph, words) in paragraphs {
            if words > maximum {
                emit()
                let all = paragraph.split(whereSeparator: { $0.isWhitespace })
                var start = 0
                while start < all.count {
                    let end = min(start + target, all.count)
                    out.append((all[start..<end].joined(separator: " "), end - start))
                    start = end
                }
                continue
            }
            if count + words > maximum { emit() }
            current.append(paragraph)
            count += words
            if count >= target { emit() }
        }
        emit()
        return out
    }

    static func wordCount(_ s: String) -> Int {
        var count = 0, inWord = false
        for ch in s.unicodeScalars {
            let space = ch == " " || ch == "\n" || ch == "\t"
            if !space && !inWord { count += 1 }
            inWord = !space
        }
        return count
    }
}
