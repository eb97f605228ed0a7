extension MarkdownRenderer {
    /// Builds the block tree a line at a time, as CommonMark's reference parser does (without
    /// HTML blocks and link reference definitions): a line first continues the open blocks whose
    /// prefix it has, then may open new blocks, and the rest is text for the innermost leaf.
    /// Every step looks at the current line only, and nesting is capped, so the work is linear.
    struct BlockParser {
        /// Quotes and list items nested deeper than this are read as text.
        static let maxNesting = 32

        private let input: [UInt8]
        /// The open blocks, document first: always a chain from the root to the innermost.
        var open: [Block]
        var lineNumber = 0

        // The line being read, and a cursor in it; columns count tabs to the next multiple of 4,
        // and a tab may be consumed partly (`partialTab`) by a container's indentation.
        var line: ArraySlice<UInt8> = []
        var offset = 0
        var column = 0
        var partialTab = false
        // The first non-space at or after the cursor (cached: it moves only when the cursor passes it).
        var nextNonspace = -1
        var nextNonspaceColumn = 0
        var blank = false
        var indent: Int { nextNonspaceColumn - column }
        var indented: Bool { indent >= 4 }
        // Index in `open` of the deepest block this line continued, and whether the open blocks
        // deeper than that have been closed yet.
        var lastMatched = 0
        var allClosed = true

        init(_ input: [UInt8]) {
            self.input = input
            open = [Block(.document, startLine: 1, depth: 0)]
        }

        mutating func parse() -> Block {
            var start = 0
            while start < input.count {
                let end = input[start...].firstIndex { $0 == ASCII.newline || $0 == ASCII.carriageReturn } ?? input.count
                incorporate(input[start..<end])
                start = end + (input[end...].starts(with: [ASCII.carriageReturn, ASCII.newline]) ? 2 : 1)
            }
            while open.count > 1 { close(endLine: lineNumber) }
            return open[0]
        }

        private mutating func incorporate(_ text: ArraySlice<UInt8>) {
            lineNumber += 1
            line = text
            offset = text.startIndex
            column = 0
            partialTab = false
            nextNonspace = -1

            // 1. Continue the open blocks.
            var matched = 0
            continuing: while matched + 1 < open.count {
                findNextNonspace()
                switch continuation(of: open[matched + 1]) {
                case .matched: matched += 1
                case .unmatched: break continuing
                case .closed:
                    close(endLine: lineNumber)
                    return
                }
            }
            lastMatched = matched
            allClosed = matched == open.count - 1

            // 2. Open new blocks.
            var container = open[matched]
            var inCode = container.isCode
            starting: while !inCode {
                findNextNonspace()
                if !indented && !Self.mayStartBlock(peek(nextNonspace)) {
                    advanceNextNonspace()
                    break
                }
                switch startBlock(in: container) {
                case .container: container = open[open.count - 1]
                case .code: inCode = true
                case .wholeLine: return
                case .none:
                    advanceNextNonspace()
                    break starting
                }
            }

            // 3. The rest of the line is text: a lazy continuation of an open paragraph, or the
            // innermost block's content.
            if !allClosed && !blank && open[open.count - 1].isParagraph {
                addLine()
                return
            }
            closeUnmatched()
            switch open[open.count - 1].kind {
            case .paragraph, .fencedCode, .indentedCode, .table:
                addLine()
            default:
                if !blank {
                    addChild(.paragraph)
                    advanceNextNonspace()
                    addLine()
                }
            }
        }

        private enum Continuation { case matched, unmatched, closed }

        /// Whether the line keeps `block` open, consuming its prefix (`>`, an item's indentation);
        /// `.closed` when the line is the closing fence of a code block.
        private mutating func continuation(of block: Block) -> Continuation {
            switch block.kind {
            case .document, .list:
                return .matched
            case .blockQuote:
                guard !indented, peek(nextNonspace) == ASCII.greaterThan else { return .unmatched }
                advanceNextNonspace()
                advanceOffset(1, columns: false)
                if ASCII.isSpaceOrTab(peek(offset)) { advanceOffset(1, columns: true) }
                return .matched
            case .item(let marker):
                if blank {
                    guard !block.children.isEmpty else { return .unmatched }
                    advanceNextNonspace()
                } else if indent >= marker.markerOffset + marker.padding {
                    advanceOffset(marker.markerOffset + marker.padding, columns: true)
                } else {
                    return .unmatched
                }
                return .matched
            case .paragraph, .table:
                return blank ? .unmatched : .matched
            case .heading, .thematicBreak:
                return .unmatched
            case .indentedCode:
                if indented {
                    advanceOffset(4, columns: true)
                } else if blank {
                    advanceNextNonspace()
                } else {
                    return .unmatched
                }
                return .matched
            case .fencedCode(let fence):
                if indent <= 3, peek(nextNonspace) == fence.character {
                    let run = runLength(from: nextNonspace)
                    if run >= fence.length, ASCII.isBlank(line[(nextNonspace + run)...]) { return .closed }
                }
                var remaining = fence.indent
                while remaining > 0, ASCII.isSpaceOrTab(peek(offset)) {
                    advanceOffset(1, columns: true)
                    remaining -= 1
                }
                return .matched
            }
        }

        // MARK: Tree

        /// Closes the innermost open block, which ended on `endLine`.
        mutating func close(endLine: Int) {
            let block = open.removeLast()
            block.endLine = endLine
            switch block.kind {
            case .item:
                block.endLine = block.children.last?.endLine ?? block.startLine
            case .list:
                block.endLine = block.children.last?.endLine ?? endLine
                block.isTight = Self.isTight(block)
            case .indentedCode:
                while let last = block.lines.last, ASCII.isBlank(last.text) { block.lines.removeLast() }
            default:
                break
            }
        }

        /// Closes the blocks this line did not continue (once per line).
        mutating func closeUnmatched() {
            guard !allClosed else { return }
            while open.count - 1 > lastMatched { close(endLine: lineNumber - 1) }
            allClosed = true
        }

        /// Opens a block in the innermost block that can hold it, closing the ones that cannot.
        @discardableResult
        mutating func addChild(_ kind: Block.Kind) -> Block {
            while !open[open.count - 1].canContain(kind) { close(endLine: lineNumber - 1) }
            let parent = open[open.count - 1]
            let nests: Bool
            switch kind {
            case .blockQuote, .item: nests = true
            default: nests = false
            }
            let block = Block(kind, startLine: lineNumber, depth: parent.depth + (nests ? 1 : 0))
            parent.children.append(block)
            open.append(block)
            return block
        }

        /// Gives the rest of the line, from the cursor, to the innermost block.
        private mutating func addLine() {
            var padding = 0
            if partialTab {
                offset += 1
                padding = 4 - column % 4
            }
            open[open.count - 1].lines.append(SourceLine(padding: padding, text: line[offset...]))
        }

        /// A list is loose if a blank line separates two of its items or two blocks of an item.
        private static func isTight(_ list: Block) -> Bool {
            func separated(_ blocks: [Block]) -> Bool {
                zip(blocks, blocks.dropFirst()).contains { $0.endLine < $1.startLine - 1 }
            }
            return !separated(list.children) && !list.children.contains { separated($0.children) }
        }

        // MARK: Cursor

        func peek(_ i: Int) -> UInt8 { i < line.endIndex ? line[i] : ASCII.newline }

        /// The length of the run of `line[start]`.
        func runLength(from start: Int) -> Int {
            line[start...].prefix { $0 == line[start] }.count
        }

        mutating func findNextNonspace() {
            guard offset > nextNonspace else { return }
            var i = offset
            var columns = column
            while i < line.endIndex {
                if line[i] == ASCII.space {
                    columns += 1
                } else if line[i] == ASCII.tab {
                    columns += 4 - columns % 4
                } else {
                    break
                }
                i += 1
            }
            blank = i == line.endIndex
            nextNonspace = i
            nextNonspaceColumn = columns
        }

        mutating func advanceNextNonspace() {
            offset = nextNonspace
            column = nextNonspaceColumn
            partialTab = false
        }

        /// Moves the cursor `count` characters or, with `columns`, `count` columns (which may
        /// stop inside a tab).
        mutating func advanceOffset(_ count: Int, columns: Bool) {
            var count = count
            while count > 0, offset < line.endIndex {
                if line[offset] == ASCII.tab {
                    let toTabStop = 4 - column % 4
                    if columns {
                        partialTab = toTabStop > count
                        let step = min(toTabStop, count)
                        column += step
                        if !partialTab { offset += 1 }
                        count -= step
                    } else {
                        partialTab = false
                        column += toTabStop
                        offset += 1
                        count -= 1
                    }
                } else {
                    partialTab = false
                    offset += 1
                    column += 1
                    count -= 1
                }
            }
        }
    }
}
