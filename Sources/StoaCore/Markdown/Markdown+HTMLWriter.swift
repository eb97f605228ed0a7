extension MarkdownRenderer {
    /// Accumulates the UTF-8 HTML. Markup can only come from string literals (`raw`); every byte
    /// taken from the input goes through `text`, which escapes it exactly once, so no input can
    /// add a tag or an attribute, or leave an attribute value.
    struct HTMLWriter {
        private var bytes: [UInt8] = []

        init(capacity: Int) { bytes.reserveCapacity(capacity) }

        /// The HTML so far, without the newline that ends its last block.
        var string: String {
            let end = bytes.last == ASCII.newline ? bytes.count - 1 : bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }

        mutating func raw(_ markup: StaticString) {
            markup.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        /// Appends input text, escaping `&<>"'` (so it is safe in text and in quoted attribute
        /// values) and replacing NUL with U+FFFD; with `newlinesAsSpaces`, as code spans show them.
        mutating func text(_ s: ArraySlice<UInt8>, newlinesAsSpaces: Bool = false) {
            for byte in s {
                switch byte {
                case ASCII.ampersand: raw("&amp;")
                case ASCII.lessThan: raw("&lt;")
                case ASCII.greaterThan: raw("&gt;")
                case ASCII.quote: raw("&quot;")
                case ASCII.apostrophe: raw("&#39;")
                case 0: raw("\u{FFFD}")
                case ASCII.newline where newlinesAsSpaces: bytes.append(ASCII.space)
                default: bytes.append(byte)
                }
            }
        }

        /// Appends `count` copies of one input character.
        mutating func text(_ byte: UInt8, count: Int) {
            guard count > 0 else { return }
            let start = bytes.count
            text([byte][...])
            let escaped = Array(bytes[start...])
            for _ in 1..<count { bytes.append(contentsOf: escaped) }
        }

        /// Starts a new line unless the output is empty or already at the start of one.
        mutating func newlineIfNeeded() {
            if let last = bytes.last, last != ASCII.newline { bytes.append(ASCII.newline) }
        }
    }
}
