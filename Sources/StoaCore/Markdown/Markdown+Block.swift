extension MarkdownRenderer {
    /// A node of the block tree. Containers (document, quote, list, item) hold `children`; leaves
    /// hold `lines` (a table's first line is its header row).
    final class Block {
        enum Kind {
            case document, blockQuote, list(ListMarker), item(ListMarker)
            case paragraph, heading(level: Int), thematicBreak
            case fencedCode(Fence), indentedCode, table([TableAlignment])
        }

        var kind: Kind
        var children: [Block] = []
        var lines: [SourceLine] = []
        /// Source line numbers, which tell a loose list (blank lines between items) from a tight one.
        let startLine: Int
        var endLine: Int
        /// Quotes and list items around this block, itself included.
        let depth: Int
        var isTight = true

        init(_ kind: Kind, startLine: Int, depth: Int) {
            self.kind = kind
            self.startLine = startLine
            self.endLine = startLine
            self.depth = depth
        }

        /// Whether a block of `kind` may be added as a child (otherwise this block is closed first).
        func canContain(_ kind: Kind) -> Bool {
            switch (self.kind, kind) {
            case (.list, .item): true
            case (.document, .item), (.blockQuote, .item), (.item, .item): false
            case (.document, _), (.blockQuote, _), (.item, _): true
            default: false
            }
        }

        var isParagraph: Bool { if case .paragraph = kind { true } else { false } }

        /// The marker of the list's first item, if this is a list.
        var listMarker: ListMarker? { if case .list(let marker) = kind { marker } else { nil } }

        var isCode: Bool {
            switch kind {
            case .fencedCode, .indentedCode: true
            default: false
            }
        }
    }

    /// What a leaf keeps of a line: `padding` spaces stand for the part of a tab that a
    /// container's prefix did not use up.
    struct SourceLine {
        var padding = 0
        var text: ArraySlice<UInt8>
    }

    struct ListMarker {
        var ordered: Bool
        /// The bullet (`-`, `+`, `*`) or the delimiter after the number (`.`, `)`).
        var symbol: UInt8
        var start: Int
        /// Columns before the marker, and from the marker to the item's content.
        var markerOffset: Int
        var padding: Int

        func continues(_ list: ListMarker) -> Bool { ordered == list.ordered && symbol == list.symbol }
    }

    struct Fence {
        var character: UInt8
        var length: Int
        var indent: Int
        var language: ArraySlice<UInt8>?
    }

    enum TableAlignment { case none, left, center, right }
}
