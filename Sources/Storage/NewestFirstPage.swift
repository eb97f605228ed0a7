import Foundation
import StoaCore

/// Keyset paging, newest first, on `("created_at", "id")` — shared by every list that pages
/// that way (messages, history, tasks).
public enum NewestFirstPage {
    /// Appends the cursor condition, the order and the limit (one row more than the page, to
    /// know whether another page follows).
    public static func finish(_ sql: inout String, _ binds: inout [DatabaseValue], page: PageRequest) throws(InvalidInput) {
        if let cursor = page.cursor {
            guard cursor.values.count == 2, let created = cursor.date(0) else { throw .badCursor }
            sql += #" AND ("created_at" < ? OR ("created_at" = ? AND "id" < ?))"#
            binds += [.date(created), .date(created), .text(cursor.values[1])]
        }
        sql += #" ORDER BY "created_at" DESC, "id" DESC LIMIT ?"#
        binds.append(.int(Int64(page.limit + 1)))
    }

    /// The page and the cursor after its last item (nil when nothing follows).
    public static func page<Item>(_ rows: [Item], _ page: PageRequest, key: (Item) -> (createdAt: Date, id: String)) -> Page<Item> {
        let items = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? items.last.map { item -> PageCursor in
            let (created, id) = key(item)
            return PageCursor([ISO8601.string(from: created), id])
        } : nil
        return Page(items: items, nextCursor: next)
    }
}
