import Foundation
import StoaCore

/// Keyset paging, newest first, on `("created_at", "id")` — shared by every list that pages
/// that way (messages, history, tasks).
public enum NewestFirstPage {
    /// The condition that starts a page after a cursor (binds: ``cursorBinds(_:)``).
    public static let afterCursor = #" AND ("created_at" < ? OR ("created_at" = ? AND "id" < ?))"#
    /// The order and the limit (bind: ``limitBind(_:)``).
    public static let orderAndLimit = #" ORDER BY "created_at" DESC, "id" DESC LIMIT ?"#

    /// Appends the cursor condition, the order and the limit (one row more than the page, to
    /// know whether another page follows).
    public static func finish(_ sql: inout String, _ binds: inout [DatabaseValue], page: PageRequest) throws(InvalidInput) {
        if let cursor = try cursorBinds(page) {
            sql += afterCursor
            binds += cursor
        }
        sql += orderAndLimit
        binds.append(limitBind(page))
    }

    /// The values of ``afterCursor`` for the page's cursor; nil on a first page.
    public static func cursorBinds(_ page: PageRequest) throws(InvalidInput) -> [DatabaseValue]? {
        guard let cursor = page.cursor else { return nil }
        guard cursor.values.count == 2, let created = cursor.date(0) else { throw .badCursor }
        return [.date(created), .date(created), .text(cursor.values[1])]
    }

    /// One row more than the page, to know whether another page follows.
    public static func limitBind(_ page: PageRequest) -> DatabaseValue { .int(Int64(page.limit + 1)) }

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
