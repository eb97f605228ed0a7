import Foundation
import StoaCore

/// One of a user's tasks. (Named `TaskItem` so it never shadows Swift's `Task`.)
public struct TaskItem: Sendable, Equatable {
    public let id: String
    public var title: String
    public var description: String?
    public var completed: Bool
    public var dueAt: Date?
    public let createdAt: Date
    public var updatedAt: Date

    public init(id: String, title: String, description: String?, completed: Bool, dueAt: Date?, createdAt: Date, updatedAt: Date) {
        self.id = id; self.title = title; self.description = description; self.completed = completed
        self.dueAt = dueAt; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// api.md's JSON for a task.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("title", .string(title)), ("description", .optional(description)),
            ("completed", .bool(completed)), ("dueAt", dueAt.map(JSONValue.date) ?? .null),
            ("createdAt", .date(createdAt)), ("updatedAt", .date(updatedAt)),
        ])
    }
}

/// Which tasks a list shows.
public enum TaskStatusFilter: String, Sendable, CaseIterable {
    case open, done, all
}
