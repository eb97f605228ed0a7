extension StringProtocol {
    /// The text without leading and trailing whitespace (spaces, tabs, newlines, any Unicode
    /// space), in plain Swift: Foundation's `trimmingCharacters(in:)` goes through `NSString` on
    /// Linux, which showed up in profiles of per-request paths (the bearer token, rendering).
    public var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
