import Foundation
import StoaCore
import Storage

/// The user's tasks. Every method takes the owner's id and puts it in the `WHERE` clause.
public protocol TaskStore: Sendable {
    func create(userID: String, title: String, description: String?, dueAt: Date?, at: Date) async throws -> TaskItem
    func get(userID: String, id: String) async throws -> TaskItem?
    /// Newest first; `query` matches title or description, case-insensitively; `due` keeps the
    /// tasks due inside it (and so only tasks with a due date).
    func list(userID: String, status: TaskStatusFilter, query: String?, due: DueWindow?, page: PageRequest) async throws -> Page<TaskItem>
    /// `description`/`dueAt` are `.some(nil)` to clear them.
    func update(userID: String, id: String, title: String?, description: String??, completed: Bool?, dueAt: Date??, at: Date) async throws -> TaskItem?
    func delete(userID: String, id: String) async throws -> Bool
}

extension TaskStore {
    public func list(userID: String, status: TaskStatusFilter, query: String?, page: PageRequest) async throws -> Page<TaskItem> {
        try await list(userID: userID, status: status, query: query, due: nil, page: page)
    }
}

/// Due dates from `from` (inclusive) up to `before` (exclusive); either end may be open.
/// ``undated`` instead selects the tasks that have no due date.
public struct DueWindow: Sendable, Equatable {
    public var from: Date?
    public var before: Date?
    /// Only tasks without a due date (`from` and `before` are then nil).
    public private(set) var undated = false
    public init(from: Date? = nil, before: Date? = nil) { self.from = from; self.before = before }
    /// The tasks that have no due date.
    public static let undated: DueWindow = { var window = DueWindow(); window.undated = true; return window }()
}

/// ``TaskStore`` over SQLite or PostgreSQL.
public struct SQLTaskStore: TaskStore {
    let db: any Database
    public init(database: any Database) { db = database }

    static let columns = #""id", "title", "description", "completed", "due_at", "created_at", "updated_at""#

    public func create(userID: String, title: String, description: String?, dueAt: Date?, at: Date) async throws -> TaskItem {
        let task = TaskItem(id: UUIDv7.generate(at: at), title: title, description: description, completed: false, dueAt: dueAt, createdAt: at, updatedAt: at)
        _ = try await db.query(prepared: InsertTask.self, [.text(task.id), .text(userID), .text(title), description.map { .text($0) } ?? .null,
                                                         .bool(false), dueAt.map { .date($0) } ?? .null, .date(at), .date(at)])
        return task
    }

    /// A new task (the assistant's `add_task` runs it on every such turn): prepared once per
    /// PostgreSQL connection.
    enum InsertTask: PreparedSQL {
        static let sql = #"INSERT INTO "task" ("id", "user_id", "title", "description", "completed", "due_at", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#
    }

    public func get(userID: String, id: String) async throws -> TaskItem? {
        try await db.first(#"SELECT \#(Self.columns) FROM "task" WHERE "id" = ? AND "user_id" = ?"#, id, userID).map(Self.task)
    }

    public func list(userID: String, status: TaskStatusFilter, query: String?, due: DueWindow?, page: PageRequest) async throws -> Page<TaskItem> {
        var sql = #"SELECT \#(Self.columns) FROM "task" WHERE "user_id" = ?"#
        var binds: [DatabaseValue] = [.text(userID)]
        switch status {
        case .open: sql += #" AND "completed" = ?"#; binds.append(.bool(false))
        case .done: sql += #" AND "completed" = ?"#; binds.append(.bool(true))
        case .all: break
        }
        if let query = query?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
            let pattern = "%" + Self.escapeLike(query.lowercased()) + "%"
            sql += #" AND (LOWER("title") LIKE ? ESCAPE '\' OR LOWER(COALESCE("description", '')) LIKE ? ESCAPE '\')"#
            binds += [.text(pattern), .text(pattern)]
        }
        if let due, due.undated {
            sql += #" AND "due_at" IS NULL"#
        } else if let due {
            sql += #" AND "due_at" IS NOT NULL"#
            if let from = due.from { sql += #" AND "due_at" >= ?"#; binds.append(.date(from)) }
            if let before = due.before { sql += #" AND "due_at" < ?"#; binds.append(.date(before)) }
        }
        try NewestFirstPage.finish(&sql, &binds, page: page)
        return NewestFirstPage.page(try await db.query(sql, binds).map(Self.task), page) { ($0.createdAt, $0.id) }
    }

    public func update(userID: String, id: String, title: String?, description: String??, completed: Bool?, dueAt: Date??, at: Date) async throws -> TaskItem? {
        var sets: [String] = [#""updated_at" = ?"#]
        var binds: [DatabaseValue] = [.date(at)]
        if let title { sets.append(#""title" = ?"#); binds.append(.text(title)) }
        if let description { sets.append(#""description" = ?"#); binds.append(.optional(description)) }
        if let completed { sets.append(#""completed" = ?"#); binds.append(.bool(completed)) }
        if let dueAt { sets.append(#""due_at" = ?"#); binds.append(.optional(dueAt)) }
        binds += [.text(id), .text(userID)]
        return try await db.query(
            #"UPDATE "task" SET \#(sets.joined(separator: ", ")) WHERE "id" = ? AND "user_id" = ? RETURNING \#(Self.columns)"#, binds
        ).first.map(Self.task)
    }

    public func delete(userID: String, id: String) async throws -> Bool {
        !(try await db.query(#"DELETE FROM "task" WHERE "id" = ? AND "user_id" = ? RETURNING "id""#, [.text(id), .text(userID)]).isEmpty)
    }

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    static func task(_ row: DatabaseRow) throws -> TaskItem {
        TaskItem(id: try row.string("id"), title: try row.string("title"), description: row.optionalString("description"),
                 completed: try row.bool("completed"), dueAt: row.optionalDate("due_at"),
                 createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }
}
