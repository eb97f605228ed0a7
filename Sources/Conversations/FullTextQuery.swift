/// Turns what a user typed into a safe full-text query: words only (no operators), all required.
public enum FullTextQuery {
    /// The words of `text`, lowercased, at most 16 of at most 64 characters.
    public static func words(_ text: String) -> [String] {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map { String($0.prefix(64)) }
        return Array(words.prefix(16))
    }

    /// An FTS5 MATCH expression: each word quoted, with prefix matching on the last one.
    public static func fts5(_ text: String) -> String? {
        let words = words(text)
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"" }.joined(separator: " ")
    }
}
