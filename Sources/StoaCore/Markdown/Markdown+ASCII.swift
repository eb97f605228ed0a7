extension MarkdownRenderer {
    /// The bytes Markdown syntax is made of, by name, and the character classes it uses.
    enum ASCII {
        static let tab: UInt8 = 0x09
        static let newline: UInt8 = 0x0A
        static let carriageReturn: UInt8 = 0x0D
        static let space: UInt8 = 0x20
        static let bang: UInt8 = 0x21
        static let quote: UInt8 = 0x22
        static let hash: UInt8 = 0x23
        static let ampersand: UInt8 = 0x26
        static let apostrophe: UInt8 = 0x27
        static let leftParen: UInt8 = 0x28
        static let rightParen: UInt8 = 0x29
        static let star: UInt8 = 0x2A
        static let plus: UInt8 = 0x2B
        static let dash: UInt8 = 0x2D
        static let dot: UInt8 = 0x2E
        static let slash: UInt8 = 0x2F
        static let colon: UInt8 = 0x3A
        static let semicolon: UInt8 = 0x3B
        static let lessThan: UInt8 = 0x3C
        static let equals: UInt8 = 0x3D
        static let greaterThan: UInt8 = 0x3E
        static let question: UInt8 = 0x3F
        static let at: UInt8 = 0x40
        static let leftBracket: UInt8 = 0x5B
        static let backslash: UInt8 = 0x5C
        static let rightBracket: UInt8 = 0x5D
        static let underscore: UInt8 = 0x5F
        static let backtick: UInt8 = 0x60
        static let pipe: UInt8 = 0x7C
        static let tilde: UInt8 = 0x7E
        static let delete: UInt8 = 0x7F

        static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        static func isAlphanumeric(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
        static func isSpaceOrTab(_ b: UInt8) -> Bool { b == space || b == tab }
        static func lowercased(_ b: UInt8) -> UInt8 { isLetter(b) ? b | 0x20 : b }

        /// `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`: the characters a backslash can escape.
        static func isPunctuation(_ b: UInt8) -> Bool {
            (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) || (b >= 0x7B && b <= 0x7E)
        }

        /// Whether `s` is empty or only spaces and tabs.
        static func isBlank(_ s: ArraySlice<UInt8>) -> Bool { s.allSatisfy(isSpaceOrTab) }

        /// `s` without leading and trailing spaces and tabs.
        static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var s = s
            while let first = s.first, isSpaceOrTab(first) { s.removeFirst() }
            while let last = s.last, isSpaceOrTab(last) { s.removeLast() }
            return s
        }
    }
}
