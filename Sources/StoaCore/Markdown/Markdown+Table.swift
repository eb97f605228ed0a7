extension MarkdownRenderer.BlockParser {
    /// A GFM table starts when a paragraph's last line is followed by a delimiter row (`|---|:-:|`)
    /// with as many cells; that line becomes the header and the following lines rows.
    mutating func startTable(after paragraph: MarkdownRenderer.Block) -> Bool {
        let row = line[nextNonspace...]
        guard row.contains(ASCII.pipe), let alignments = Self.alignments(row), let header = paragraph.lines.last,
              Self.cells(header.text).count == alignments.count else { return false }
        closeUnmatched()
        paragraph.lines.removeLast()
        if paragraph.lines.isEmpty {
            paragraph.kind = .table(alignments)
            paragraph.lines = [header]
        } else {
            addChild(.table(alignments)).lines = [header]
        }
        return true
    }

    private static func alignments(_ row: ArraySlice<UInt8>) -> [MarkdownRenderer.TableAlignment]? {
        var alignments: [MarkdownRenderer.TableAlignment] = []
        for cell in cells(row) {
            let left = cell.first == ASCII.colon
            let right = cell.count > 1 && cell.last == ASCII.colon
            let dashes = cell.dropFirst(left ? 1 : 0).dropLast(right ? 1 : 0)
            guard !dashes.isEmpty, dashes.allSatisfy({ $0 == ASCII.dash }) else { return nil }
            alignments.append(left && right ? .center : left ? .left : right ? .right : .none)
        }
        return alignments
    }

    /// A row's cells, trimmed: split at `|` (not `\|`), without the optional outer pipes.
    static func cells(_ row: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var row = ASCII.trimmed(row)
        if row.first == ASCII.pipe { row.removeFirst() }
        if row.last == ASCII.pipe, row.dropLast().last != ASCII.backslash { row.removeLast() }
        var cells: [ArraySlice<UInt8>] = []
        var start = row.startIndex
        var i = start
        while i < row.endIndex {
            if row[i] == ASCII.backslash {
                i += 2
                continue
            }
            if row[i] == ASCII.pipe {
                cells.append(ASCII.trimmed(row[start..<i]))
                start = i + 1
            }
            i += 1
        }
        cells.append(ASCII.trimmed(row[start...]))
        return cells
    }
}
