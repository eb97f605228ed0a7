import Foundation

/// The words of a search query that are worth looking for: lowercased letters and digits only
/// (so nothing the user types can become query syntax), English stop words removed, at most
/// `maxTerms`, first occurrence order.
public enum SearchTerms {
    public static let maxTerms = 12

    public static func words(_ query: String) -> [String] {
        var all: [String] = []
        var current = ""
        for scalar in query.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                all.append(current); current = ""
            }
        }
        if !current.isEmpty { all.append(current) }
        var seen = Set<String>()
        let content = all.filter { !stopWords.contains($0) && $0.count <= 64 && seen.insert($0).inserted }
        if !content.isEmpty { return Array(content.prefix(maxTerms)) }
        seen.removeAll()
        return Array(all.filter { $0.count <= 64 && seen.insert($0).inserted }.prefix(maxTerms))
    }

    /// Common English words that carry no meaning for search (questions are mostly these).
    static let stopWords: Set<String> = [
        "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "before", "being",
        "but", "by", "can", "could", "did", "do", "does", "doing", "done", "for", "from", "get", "gets", "got", "had", "has",
        "have", "having", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let",
        "me", "might", "more", "most", "much", "must", "my", "no", "not", "now", "of", "on", "one", "or", "other", "our",
        "out", "over", "please", "say", "says", "she", "should", "so", "some", "such", "tell", "than", "that", "the",
        "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "up", "us", "use",
        "used", "using", "very", "want", "was", "way", "we", "were", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "would", "you", "your", "yours", "s", "t", "don", "doesn", "isn", "aren", "can't",
        "happen", "happens", "need", "needs", "work", "works", "know", "explain", "describe", "show", "find", "mean", "means",
    ]
}

/// Plain-text extracts around the words a search matched (PostgreSQL path; SQLite uses FTS5's
/// `snippet()`). Matching is by word prefix, a cheap stand-in for stemming.
enum Snippet {
    static func make(_ text: String, terms: [String], words: Int = 32) -> String {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard tokens.count > words else { return tokens.joined(separator: " ") }
        // Byte-wise prefix tests on lowercased ASCII letters: String.hasPrefix compares by Unicode
        // equivalence, which is far slower and not needed for matching query words.
        let stems = terms.map { Array(($0.count > 5 ? String($0.prefix($0.count - 2)) : $0).utf8) }
        let hits = tokens.map { token -> Bool in
            let bytes = token.utf8.drop(while: { !Self.isWordByte($0) })
            if bytes.isEmpty { return false }
            return stems.contains { stem in
                guard bytes.count >= stem.count else { return false }
                var i = bytes.startIndex
                for b in stem {
                    let c = bytes[i]
                    if (c >= 65 && c <= 90 ? c + 32 : c) != b { return false }
                    i = bytes.index(after: i)
                }
                return true
            }
        }
        var best = 0, bestCount = -1, count = 0
        for i in 0..<tokens.count {
            if hits[i] { count += 1 }
            if i >= words, hits[i - words] { count -= 1 }
            if i >= words - 1, count > bestCount { bestCount = count; best = i - words + 1 }
        }
        // Start a little before the first hit of the window so the extract reads naturally.
        let start = max(0, best - 3)
        let end = min(tokens.count, start + words)
        return (start > 0 ? "…" : "") + tokens[start..<end].joined(separator: " ") + (end < tokens.count ? "…" : "")
    }

    static func isWordByte(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b >= 128 }
}
