import Foundation
import StoaCore
import Tasks

/// Runs the task tools for one signed-in user. The user id is fixed at construction from the
/// verified identity; tool arguments can never name another user.
public struct TaskTools: Sendable {
    let store: any TaskStore
    let userID: String
    let clock: any StoaClock

    public init(store: any TaskStore, userID: String, clock: any StoaClock) {
        self.store = store
        self.userID = userID
        self.clock = clock
    }

    /// Runs a tool. Bad arguments and unknown tasks come back as `{"error": "…"}` results (the
    /// model can read and recover), never as thrown errors.
    public func run(_ name: String, arguments: JSONValue) async throws -> JSONValue {
        do {
            switch name {
            case "add_task": return try await add(arguments)
            case "list_tasks": return try await list(arguments)
            case "complete_task": return try await update(arguments, completed: true, onlyCompletion: true)
            case "update_task": return try await update(arguments, completed: nil, onlyCompletion: false)
            case "delete_task": return try await delete(arguments)
            default: return Self.error("There is no tool called \(name).")
            }
        } catch let error as ToolArgumentError {
            return Self.error(error.message)
        }
    }

    struct ToolArgumentError: Error { let message: String }

    static func error(_ message: String) -> JSONValue { .object([("error", .string(message))]) }

    func string(_ arguments: JSONValue, _ key: String, required: Bool = false, max: Int = 500) throws -> String? {
        switch arguments[key] {
        case nil, .null?:
            if required { throw ToolArgumentError(message: "\(key) is required.") }
            return nil
        case .string(let s)?:
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if required && trimmed.isEmpty { throw ToolArgumentError(message: "\(key) must not be empty.") }
            if trimmed.count > max { throw ToolArgumentError(message: "\(key) must be at most \(max) characters.") }
            return trimmed
        default: throw ToolArgumentError(message: "\(key) must be a string.")
        }
    }

    func date(_ arguments: JSONValue, _ key: String) throws -> Date?? {
        switch arguments[key] {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let s)?:
            if let d = ISO8601.date(from: s) ?? (s.count == 10 ? ISO8601.date(from: s + "T00:00:00Z") : nil) { return .some(d) }
            throw ToolArgumentError(message: "\(key) must be an ISO-8601 date such as 2026-12-01T09:00:00Z.")
        default: throw ToolArgumentError(message: "\(key) must be a string.")
        }
    }

    func taskID(_ arguments: JSONValue) throws -> String {
        guard let id = try string(arguments, "task_id", required: true, max: 64), UUIDv7.isValid(id) else {
            throw ToolArgumentError(message: "task_id must be the id of one of your tasks (use list_tasks to find it).")
        }
        return id.lowercased()
    }

    func add(_ arguments: JSONValue) async throws -> JSONValue {
        let title = try string(arguments, "title", required: true) ?? ""
        let description = try string(arguments, "description", max: 10_000)
        let due = try date(arguments, "due_at") ?? nil
        let task = try await store.create(userID: userID, title: title, description: description?.isEmpty == true ? nil : description, dueAt: due, at: clock.now())
        return .object([("task", task.json)])
    }

    func list(_ arguments: JSONValue) async throws -> JSONValue {
        let statusText = try string(arguments, "status", max: 10) ?? "open"
        guard let status = TaskStatusFilter(rawValue: statusText) else { throw ToolArgumentError(message: "status must be open, done or all.") }
        let q = try string(arguments, "q", max: 200)
        let page = try await store.list(userID: userID, status: status, query: q, page: PageRequest(limit: 50))
        let items: [JSONValue] = page.items.enumerated().map { index, task in
            guard case .object(var pairs) = task.json else { return task.json }
            pairs.insert(("number", .number(Double(index + 1))), at: 0)
            return .object(pairs)
        }
        return .object([("status", .string(status.rawValue)), ("tasks", .array(items)), ("more", .bool(page.nextCursor != nil))])
    }

    func update(_ arguments: JSONValue, completed: Bool?, onlyCompletion: Bool) async throws -> JSONValue {
        let id = try taskID(arguments)
        var title: String? = nil, description: String?? = nil, due: Date?? = nil, done = completed
        if !onlyCompletion {
            title = try string(arguments, "title")
            if title?.isEmpty == true { throw ToolArgumentError(message: "title must not be empty.") }
            if case .null? = arguments["description"] { description = .some(nil) } else if let d = try string(arguments, "description", max: 10_000) { description = .some(d) }
            due = try date(arguments, "due_at")
            switch arguments["completed"] {
            case nil: break
            case .bool(let b)?: done = b
            default: throw ToolArgumentError(message: "completed must be true or false.")
            }
        }
        guard let task = try await store.update(userID: userID, id: id, title: title, description: description, completed: done, dueAt: due, at: clock.now()) else {
            return Self.error("No task with that id in your list.")
        }
        return .object([("task", task.json)])
    }

    func delete(_ arguments: JSONValue) async throws -> JSONValue {
        let id = try taskID(arguments)
        guard let task = try await store.get(userID: userID, id: id), try await store.delete(userID: userID, id: id) else {
            return Self.error("No task with that id in your list.")
        }
        return .object([("deleted", .object([("id", .string(task.id)), ("title", .string(task.title))]))])
    }
}
